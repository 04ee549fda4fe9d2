"""A chat model answered from LangChain's LLM cache made no call: its span is not
priced and its tokens are not counted again."""

from __future__ import annotations

import pytest
import spanwise

from .conftest import named

pytest.importorskip("langchain_openai")


def test_a_cache_hit_costs_nothing(autolog, fetch_trace):
    from langchain_core.caches import InMemoryCache
    from langchain_openai import ChatOpenAI
    from spanwise_collector.testing.openai_server import FakeOpenAI

    with FakeOpenAI() as server:
        model = ChatOpenAI(
            model="gpt-4o-mini",
            base_url=server.base_url,
            api_key="x",
            max_retries=0,
            cache=InMemoryCache(),
        )
        with spanwise.start_span("request") as root:
            first = model.invoke("hello there")
            again = model.invoke("hello there")
        assert len(server.requests) == 1 and again.content == first.content
    trace = fetch_trace(root.trace_id)
    called, cached = sorted(named(trace, "ChatOpenAI"), key=lambda s: s.start_time_ns)
    assert called.cost > 0 and called.input_tokens == 2
    assert cached.cost is None and not cached.input_tokens and not cached.output_tokens
    assert cached.attributes["langchain.cache_hit"] == "true"
    assert cached.outputs == {"role": "assistant", "content": first.content}
    assert cached.model == "gpt-4o-mini"
    # the trace counts the one call that was made
    assert trace.info.cost == called.cost and trace.info.input_tokens == 2
