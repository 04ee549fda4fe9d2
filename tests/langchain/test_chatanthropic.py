"""langchain-anthropic's ChatAnthropic against the local server's /v1/messages: with
LangChain's autolog alone, the anthropic client's own OpenTelemetry span (anthropic >= 2)
nests in LangChain's and carries the cost; with Anthropic's autolog on as well, ours
replaces it. Either way the call is counted once, at its exact price."""

from __future__ import annotations

from decimal import Decimal

import pytest
import spanwise

pytest.importorskip("langchain_anthropic")

# "hello there friend": 3 input tokens, "echo: hello there friend": 4 output tokens of
# claude-haiku-4-5 at $1 / $5 per million
COST = Decimal("0.000023")


@pytest.mark.parametrize("anthropic_autolog", [False, True])
def test_chat_anthropic_counts_the_call_once(autolog, fetch_trace, anthropic_autolog):
    import spanwise.anthropic
    from langchain_anthropic import ChatAnthropic
    from spanwise_collector.testing.openai_server import FakeOpenAI

    if anthropic_autolog:
        spanwise.anthropic.autolog()
    try:
        with FakeOpenAI() as server:
            model = ChatAnthropic(model="claude-haiku-4-5", base_url=server.url, api_key="test",
                                  max_retries=0, max_tokens=50)  # fmt: skip
            with spanwise.start_span("app", span_type="AGENT") as root:
                answer = model.invoke("hello there friend").content
                trace_id = root.trace_id
    finally:
        spanwise.anthropic.autolog(disable=True)
    assert answer == "echo: hello there friend"
    trace = fetch_trace(trace_id)
    llm = [s for s in trace.data.spans if s.span_type == "LLM"]
    framework = next(s for s in llm if s.name == "ChatAnthropic")
    [client] = [s for s in llm if s is not framework]
    assert client.name == (
        "chat claude-haiku-4-5" if anthropic_autolog else "anthropic.messages.create"
    )
    assert client.parent_id == framework.span_id
    assert (client.input_tokens, client.output_tokens) == (3, 4)
    assert client.cost == COST and framework.cost is None
    assert framework.cost_status == "counted_in_child"
    assert trace.info.cost == COST and trace.info.input_tokens == 3
    assert framework.attributes["gen_ai.response.finish_reasons"] == '["end_turn"]'


def test_streamed_chat_anthropic_has_its_input_tokens(autolog, fetch_trace):
    # langchain-anthropic reads a stream's usage from message_delta (cumulative counts)
    from langchain_anthropic import ChatAnthropic
    from spanwise_collector.testing.openai_server import FakeOpenAI

    with FakeOpenAI() as server:
        model = ChatAnthropic(model="claude-haiku-4-5", base_url=server.url, api_key="test",
                              max_retries=0, max_tokens=50)  # fmt: skip
        with spanwise.start_span("app") as root:
            text = "".join(c.content for c in model.stream("hello there friend"))
    assert text == "echo: hello there friend"
    trace = fetch_trace(root.trace_id)
    (framework,) = [s for s in trace.data.spans if s.name == "ChatAnthropic"]
    assert (framework.input_tokens, framework.output_tokens) == (3, 4)
    assert framework.outputs == {"role": "assistant", "content": "echo: hello there friend"}
    assert trace.info.cost == COST
