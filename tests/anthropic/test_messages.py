"""Messages API calls through the real client: attributes, usage and its exact cost,
inputs/outputs, tools, errors, autolog on/off."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import anthropic
import pytest
import spanwise
import spanwise.anthropic

from tests.anthropic.conftest import MODEL, WEATHER_TOOL, user

CACHED_SYSTEM = [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}]


def test_message_span_attributes_usage_and_cost(claude, fake, traced):
    result, root, [span] = traced(
        claude.messages.create,
        model=MODEL,
        max_tokens=64,
        system=CACHED_SYSTEM,
        messages=user("hello there friend"),
        stop_sequences=["END"],
    )
    assert result.content[0].text == "echo: hello there friend"
    assert span.name == f"chat {MODEL}" and span.span_type == "LLM" and span.status == "OK"
    assert span.parent_id == root.span_id
    a = span.attributes
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.provider.name"] == "anthropic" and a["gen_ai.system"] == "anthropic"
    assert a["server.address"] == "127.0.0.1" and int(a["server.port"]) == fake.port
    assert a["gen_ai.request.model"] == MODEL and a["gen_ai.response.model"] == MODEL
    assert a["gen_ai.response.id"] == result.id
    assert int(a["gen_ai.request.max_tokens"]) == 64
    assert json.loads(a["gen_ai.request.stop_sequences"]) == ["END"]
    assert json.loads(a["gen_ai.response.finish_reasons"]) == ["end_turn"]
    # Anthropic reports cache reads/writes beside input_tokens; the span's input is the total.
    usage = result.usage
    assert (usage.input_tokens, usage.cache_read_input_tokens) == (2, 2)
    assert (usage.cache_creation_input_tokens, usage.output_tokens) == (1, 4)
    assert span.input_tokens == 5 and span.output_tokens == 4 and span.cached_tokens == 2
    assert int(a["gen_ai.usage.cache_creation.input_tokens"]) == 1
    # 2 plain × $1 + 2 cache reads × $0.10 + 1 cache write × $1.25 + 4 out × $5, per million
    assert span.cost_status == "ok"
    assert span.cost == Decimal("0.00002345")
    assert span.inputs == {"messages": user("hello there friend"), "system": CACHED_SYSTEM}
    assert span.outputs == {
        "role": "assistant",
        "content": [{"type": "text", "text": "echo: hello there friend"}],
    }


def test_tool_use_is_captured(claude, traced):
    result, _, [span] = traced(
        claude.messages.create,
        model=MODEL,
        max_tokens=64,
        messages=user("weather in Paris?"),
        tools=[WEATHER_TOOL],
    )
    [block] = result.content
    assert span.inputs["tools"] == [WEATHER_TOOL]
    assert span.outputs["content"] == [
        {"type": "tool_use", "id": block.id, "name": "get_weather", "input": {"city": "text"}}
    ]
    assert json.loads(span.attributes["gen_ai.response.finish_reasons"]) == ["tool_use"]


def test_async_create(aclaude, traced):
    async def call():
        return await aclaude.messages.create(model=MODEL, max_tokens=16, messages=user("async"))

    result, root, [span] = traced(lambda: asyncio.run(call()))
    assert span.parent_id == root.span_id
    assert span.outputs["content"] == [{"type": "text", "text": "echo: async"}]
    assert span.input_tokens == result.usage.input_tokens == 1


def test_raw_response_is_read_without_changing_the_users_result(claude, traced):
    raw, _, [span] = traced(
        claude.messages.with_raw_response.create,
        model=MODEL,
        max_tokens=16,
        messages=user("raw please"),
    )
    assert raw.http_response.status_code == 200
    assert raw.parse().content[0].text == "echo: raw please"
    assert span.output_tokens == 3 and span.attributes["gen_ai.response.id"] == raw.parse().id


def test_an_api_error_is_recorded_and_raised_unchanged(claude, traced):
    def call():
        with pytest.raises(anthropic.RateLimitError) as info:
            claude.messages.create(model="claude-error-429", max_tokens=8, messages=user())
        return info.value

    error, _, [span] = traced(call)
    assert error.status_code == 429
    assert span.status == "ERROR"
    assert span.attributes["error.type"] == "RateLimitError"
    assert int(span.attributes["http.response.status_code"]) == 429


def test_inputs_and_outputs_can_be_left_out(claude, traced, sdk):
    spanwise.anthropic.autolog(log_inputs=False, log_outputs=False)
    _, _, [span] = traced(claude.messages.create, model=MODEL, max_tokens=8, messages=user())
    assert span.inputs is None and span.outputs is None
    assert span.output_tokens == 3  # the call is still measured and priced


def test_disable_restores_the_client_and_autolog_is_idempotent(fake, sdk, traced):
    original = anthropic.resources.messages.Messages.create
    spanwise.anthropic.autolog()
    spanwise.anthropic.autolog()
    patched = anthropic.resources.messages.Messages.create
    assert patched is not original
    spanwise.anthropic.autolog(disable=True)
    assert anthropic.resources.messages.Messages.create is original
    client = anthropic.Anthropic(base_url=fake.url, api_key="test", max_retries=0)
    _, _, [span] = traced(client.messages.create, model=MODEL, max_tokens=8, messages=user())
    # Ours is gone; what is left is the client's own OpenTelemetry span (anthropic >= 2).
    assert span.name == "anthropic.messages.create"
    assert span.inputs is None


def test_the_clients_own_span_is_priced_exactly_without_autolog(fake, sdk, traced):
    """anthropic >= 2 traces its calls itself (metadata only) once OpenTelemetry is set
    up; the collector reads its usage, including cache writes
    (``gen_ai.usage.cache_write.input_tokens``), so the cost is the same as ours."""
    client = anthropic.Anthropic(base_url=fake.url, api_key="test", max_retries=0)
    _, root, [span] = traced(
        client.messages.create,
        model=MODEL,
        max_tokens=64,
        system=CACHED_SYSTEM,
        messages=user("hello there friend"),
    )
    assert span.name == "anthropic.messages.create" and span.parent_id == root.span_id
    assert span.span_type == "LLM" and span.model == MODEL
    assert (span.input_tokens, span.cached_tokens, span.output_tokens) == (5, 2, 4)
    assert span.cost == Decimal("0.00002345")


def test_spanwise_autolog_enables_anthropic(fake, sdk, traced):
    spanwise.autolog()
    try:
        client = anthropic.Anthropic(base_url=fake.url, api_key="test", max_retries=0)
        _, _, [span] = traced(client.messages.create, model=MODEL, max_tokens=8, messages=user())
        assert span.attributes["gen_ai.provider.name"] == "anthropic"
    finally:
        spanwise.autolog(disable=True)


def test_claude_on_bedrock_and_vertex_is_priced_as_their_provider():
    """The provider (and so the price list) follows the client's host; no call is made."""
    from spanwise._internal.integrations.anthropic.request import provider_attributes

    bedrock = anthropic.AnthropicBedrock(aws_region="us-east-1", aws_access_key="x",
                                         aws_secret_key="y")  # fmt: skip
    vertex = anthropic.AnthropicVertex(region="us-east5", project_id="p", access_token="t")
    assert provider_attributes(bedrock.messages)["gen_ai.provider.name"] == "aws.bedrock"
    assert provider_attributes(vertex.messages)["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert (
        provider_attributes(vertex.messages)["server.address"]
        == "us-east5-aiplatform.googleapis.com"
    )
