"""The `spanwise demo` LangGraph agent produces the trace it advertises."""

from __future__ import annotations

import pytest
import spanwise

from .conftest import named

pytest.importorskip("langgraph")


def test_demo_langgraph_agent_trace(autolog, fetch_trace):
    from spanwise_collector.demo import langchain_agent

    with spanwise.start_span("demo") as root:
        langchain_agent.run(1)
    trace = fetch_trace(root.trace_id)
    (graph,) = named(trace, "weather_agent")
    assert graph.span_type == "AGENT" and graph.parent_id == trace.data.root.span_id
    llms = sorted(named(trace, "ScriptedChatModel"), key=lambda s: s.start_time_ns)
    assert len(llms) == 2
    assert all(s.provider == "openai" and s.model == "gpt-4o-mini-2024-07-18" for s in llms)
    assert all(s.input_tokens > 0 and s.output_tokens > 0 for s in llms)
    assert llms[0].outputs["tool_calls"][0]["name"] == "get_forecast"
    assert "get_forecast" in llms[0].attributes["gen_ai.tool.definitions"]
    (tool_span,) = named(trace, "get_forecast")
    assert tool_span.span_type == "TOOL" and tool_span.status == "OK"
    assert trace.info.input_tokens == sum(s.input_tokens for s in llms)
