"""langchain-openai's ChatOpenAI against the local OpenAI-compatible server: with BOTH
autologs on, the trace shows the LangChain chat-model span and, nested in it, the
OpenAI client span of the same call; the cost is counted once. A failed call carries
the HTTP status."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytest.importorskip("langchain_openai")


def test_chat_openai_under_both_autologs_counts_cost_once(autolog, fetch_trace):
    import spanwise.openai
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_openai import ChatOpenAI
    from spanwise_collector.testing.openai_server import FakeOpenAI

    spanwise.openai.autolog()
    try:
        with FakeOpenAI() as server:
            model = ChatOpenAI(
                model="gpt-4o-mini", base_url=server.base_url, api_key="test", max_retries=0
            )
            chain = (
                ChatPromptTemplate.from_messages([("user", "Say hi to {name}")])
                | model
                | StrOutputParser()
            )
            with spanwise.start_span("app", span_type="AGENT") as root:
                answer = chain.invoke({"name": "Ada"})
                trace_id = root.trace_id
    finally:
        spanwise.openai.autolog(disable=True)
    assert answer.startswith("echo:")
    trace = fetch_trace(trace_id)
    llm_spans = [s for s in trace.data.spans if s.span_type == "LLM"]
    assert len(llm_spans) == 2, [(s.name, s.span_type) for s in trace.data.spans]
    by_id = {s.span_id: s for s in trace.data.spans}
    client_span = next(s for s in llm_spans if s.name.startswith("chat "))
    framework_span = next(s for s in llm_spans if s is not client_span)
    assert by_id[client_span.parent_id] is framework_span  # the OpenAI call nests in LangChain's
    assert client_span.input_tokens and framework_span.input_tokens == client_span.input_tokens
    # One call, one cost: the innermost span carries it, the framework span points to it.
    assert client_span.cost is not None and client_span.cost > 0
    assert framework_span.cost is None and framework_span.cost_status == "counted_in_child"
    assert trace.info.cost == client_span.cost
    assert trace.info.input_tokens == client_span.input_tokens
    assert isinstance(trace.info.cost, Decimal)


def test_failed_chat_openai_call_records_the_http_status(autolog, fetch_trace):
    import spanwise
    from langchain_openai import ChatOpenAI
    from spanwise_collector.testing.openai_server import FakeOpenAI

    with FakeOpenAI() as server:
        model = ChatOpenAI(
            model="gpt-4o-mini-error-429", base_url=server.base_url, api_key="t", max_retries=0
        )
        with spanwise.start_span("app") as root, pytest.raises(Exception, match="429"):
            model.invoke("hello")
    (llm,) = [s for s in fetch_trace(root.trace_id).data.spans if s.name == "ChatOpenAI"]
    assert llm.status == "ERROR"
    assert llm.attributes["http.response.status_code"] == "429"
    assert llm.attributes["error.type"]


def test_streamed_time_to_first_token_waits_for_a_token(autolog, fetch_trace):
    # A chat stream opens with a chunk that only names the role (no text): the first
    # token is the first chunk with content, as the OpenAI client span measures it. The
    # LangChain span starts before the client span and hears of each chunk after it.
    import spanwise
    import spanwise.openai
    from langchain_openai import ChatOpenAI
    from spanwise_collector.testing.openai_server import FakeOpenAI

    spanwise.openai.autolog()
    try:
        with FakeOpenAI() as server:
            slow_chunks = {"x-fake-chunk-delay": "0.3", "x-fake-chunks": "2"}
            model = ChatOpenAI(model="gpt-4o-mini", base_url=server.base_url, api_key="t",
                               max_retries=0, default_headers=slow_chunks)  # fmt: skip
            with spanwise.start_span("app") as root:
                assert "".join(c.content for c in model.stream("hello")) == "echo: hello"
    finally:
        spanwise.openai.autolog(disable=True)
    spans = fetch_trace(root.trace_id).data.spans
    (framework,) = [s for s in spans if s.name == "ChatOpenAI"]
    (client,) = [s for s in spans if s.name == "chat gpt-4o-mini"]
    assert client.parent_id == framework.span_id
    ttft = "gen_ai.server.time_to_first_token"
    assert float(framework.attributes[ttft]) >= float(client.attributes[ttft])
    assert framework.attributes["gen_ai.request.stream"] == "true"
