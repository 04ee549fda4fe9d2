"""Converse API calls through the real boto3 client: attributes, usage with Bedrock's
cache counts and their exact cost, streams, tools, errors, autolog on/off."""

from __future__ import annotations

import gc
import json
from decimal import Decimal

import botocore.exceptions
import pytest
import spanwise
import spanwise.bedrock

from tests.bedrock.conftest import MODEL, make_client, user

WEATHER = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "Weather for a city",
                "inputSchema": {
                    "json": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    }
                },
            }
        }
    ]
}


def test_converse_span_attributes_usage_and_cost(bedrock, fake, traced):
    result, root, [span] = traced(
        bedrock.converse,
        modelId=MODEL,
        messages=user("hello there friend"),
        system=[{"text": "be brief"}],
        inferenceConfig={"maxTokens": 64, "temperature": 0.3, "stopSequences": ["END"]},
    )
    assert result["output"]["message"]["content"] == [{"text": "echo: hello there friend"}]
    assert span.name == f"chat {MODEL}" and span.span_type == "LLM" and span.status == "OK"
    assert span.parent_id == root.span_id
    a = span.attributes
    assert a["gen_ai.provider.name"] == "aws.bedrock" and a["gen_ai.request.model"] == MODEL
    assert a["server.address"] == "127.0.0.1" and int(a["server.port"]) == fake.port
    assert int(a["gen_ai.request.max_tokens"]) == 64
    assert float(a["gen_ai.request.temperature"]) == 0.3
    assert json.loads(a["gen_ai.request.stop_sequences"]) == ["END"]
    assert json.loads(a["gen_ai.response.finish_reasons"]) == ["end_turn"]
    assert a["gen_ai.response.id"] == result["ResponseMetadata"]["RequestId"]
    assert (span.input_tokens, span.output_tokens) == (5, 4)
    assert span.cost_status == "ok" and span.cost == Decimal("0.0000275")  # 5 × 1.1 + 4 × 5.5
    assert span.inputs == {"messages": user("hello there friend"), "system": [{"text": "be brief"}]}
    assert span.outputs == {"role": "assistant", "content": [{"text": "echo: hello there friend"}]}


def test_cache_reads_and_writes_are_priced_at_their_rates(bedrock, traced):
    system = [{"text": "be brief"}, {"cachePoint": {"type": "default"}}]
    result, _, [span] = traced(
        bedrock.converse, modelId=MODEL, messages=user("hello there friend"), system=system
    )
    usage = result["usage"]
    assert (usage["inputTokens"], usage["cacheReadInputTokens"]) == (2, 2)
    assert usage["cacheWriteInputTokens"] == 1
    # reported beside inputTokens: the span's input is the total, the parts within it
    assert (span.input_tokens, span.cached_tokens) == (5, 2)
    assert int(span.attributes["gen_ai.usage.cache_creation.input_tokens"]) == 1
    # 2 × 1.1 + 2 cached × 0.11 + 1 written × 1.375 + 4 out × 5.5, per million
    assert span.cost == Decimal("0.000025795")


def test_converse_stream(bedrock, traced):
    def consume():
        response = bedrock.converse_stream(modelId=MODEL, messages=user("stream me please"))
        return [event for event in response["stream"]]

    events, root, [span] = traced(consume)
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    assert text == "echo: stream me please"
    assert span.parent_id == root.span_id and span.status == "OK"
    assert span.outputs == {"role": "assistant", "content": [{"text": text}]}
    assert (span.input_tokens, span.output_tokens) == (3, 4)
    assert span.cost == Decimal("0.0000253")  # 3 × 1.1 + 4 × 5.5
    assert json.loads(span.attributes["gen_ai.response.finish_reasons"]) == ["end_turn"]
    ttft = float(span.attributes["gen_ai.server.time_to_first_token"])
    assert ttft >= 0 and span.start_time_ns + ttft * 1e9 <= span.end_time_ns + 1e6


def test_tool_use_round_trip(bedrock, traced):
    def conversation():
        first = bedrock.converse(
            modelId=MODEL, messages=user("weather in Paris"), toolConfig=WEATHER
        )
        [block] = first["output"]["message"]["content"]
        tool = block["toolUse"]
        result = {"toolResult": {"toolUseId": tool["toolUseId"], "content": [{"text": "sunny"}]}}
        messages = [*user("weather in Paris"), first["output"]["message"],
                    {"role": "user", "content": [result]}]  # fmt: skip
        return tool, bedrock.converse(modelId=MODEL, messages=messages, toolConfig=WEATHER)

    (tool, second), _, [asked, answered] = traced(conversation)
    assert asked.outputs["content"] == [{"toolUse": tool}]
    assert json.loads(asked.attributes["gen_ai.response.finish_reasons"]) == ["tool_use"]
    assert asked.inputs["toolConfig"] == WEATHER
    assert answered.outputs["content"] == second["output"]["message"]["content"]


def test_streamed_tool_use_is_assembled(bedrock, traced):
    def consume():
        response = bedrock.converse_stream(
            modelId=MODEL, messages=user("weather in Oslo"), toolConfig=WEATHER
        )
        return list(response["stream"])

    _, _, [span] = traced(consume)
    [block] = span.outputs["content"]
    assert block["toolUse"]["name"] == "get_weather"
    assert isinstance(block["toolUse"]["input"], dict) and "city" in block["toolUse"]["input"]


def test_stream_dropped_half_way_ends_its_span(bedrock, traced):
    def consume():
        response = bedrock.converse_stream(modelId=MODEL, messages=user("one two three"))
        for event in response["stream"]:
            if "contentBlockDelta" in event:
                break
        del response, event
        gc.collect()

    _, root, [span] = traced(consume)
    assert span.end_time_ns <= root.end_time_ns


def test_throttling_is_recorded_and_raised_unchanged(bedrock, fake, traced):
    def call():
        fake.inject_error(429)
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            bedrock.converse(modelId=MODEL, messages=user("hello"))
        return caught.value

    error, _, [span] = traced(call)
    assert error.response["Error"]["Code"] == "ThrottlingException"
    assert span.status == "ERROR" and span.attributes["error.type"] == "ThrottlingException"


def test_clients_are_traced_from_autolog_on_and_pass_through_when_off(fake, sdk, fetch_trace):
    before = make_client(fake)  # made before autolog(): not traced
    spanwise.bedrock.autolog()
    spanwise.bedrock.autolog()  # idempotent
    after = make_client(fake)
    spanwise.bedrock.autolog(disable=True)
    off = {}

    @spanwise.trace(name="parent")
    def parent():
        off["trace_id"] = spanwise.get_current_trace_id()
        before.converse(modelId=MODEL, messages=user("a"))
        after.converse(modelId=MODEL, messages=user("b"))  # wrapped, but inert now

    parent()
    assert [s.name for s in fetch_trace(off["trace_id"]).data.spans] == ["parent"]
    spanwise.bedrock.autolog()
    try:
        on = {}

        @spanwise.trace(name="parent")
        def again():
            on["trace_id"] = spanwise.get_current_trace_id()
            after.converse(modelId=MODEL, messages=user("c"))

        again()
        names = sorted(s.name for s in fetch_trace(on["trace_id"]).data.spans)
        assert names == [f"chat {MODEL}", "parent"]
    finally:
        spanwise.bedrock.autolog(disable=True)


def test_invoke_model_reads_the_token_headers_and_leaves_the_body_readable(bedrock, traced):
    request = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "temperature": 0.1,
        "system": [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "hello there friend"}],
    }

    def call():
        response = bedrock.invoke_model(modelId=MODEL, body=json.dumps(request))
        return response, json.loads(response["body"].read())

    (response, body), _, [span] = traced(call)
    assert body["content"] == [{"type": "text", "text": "echo: hello there friend"}]
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-cache-read-input-token-count"] == "2"
    assert span.name == f"chat {MODEL}" and span.attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert int(span.attributes["gen_ai.request.max_tokens"]) == 64
    assert span.inputs == request and span.outputs == {"role": "assistant",
                                                        "content": body["content"]}  # fmt: skip
    # Claude's usage: 2 plain + 2 cache reads + 1 cache write, 4 out; priced as on Bedrock
    assert (span.input_tokens, span.cached_tokens, span.output_tokens) == (5, 2, 4)
    assert span.cost == Decimal("0.000025795")
    assert json.loads(span.attributes["gen_ai.response.finish_reasons"]) == ["end_turn"]


def test_invoke_model_with_response_stream(bedrock, traced):
    request = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "stream me please"}],
    }

    def consume():
        response = bedrock.invoke_model_with_response_stream(
            modelId=MODEL, body=json.dumps(request)
        )
        events = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]
        return "".join(
            e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta"
        )

    text, root, [span] = traced(consume)
    assert text == "echo: stream me please" and span.parent_id == root.span_id
    assert span.outputs == {"role": "assistant", "content": [{"type": "text", "text": text}]}
    assert (span.input_tokens, span.output_tokens) == (3, 4)  # Bedrock's invocation metrics
    assert span.cost == Decimal("0.0000253")  # 3 × 1.1 + 4 × 5.5
    assert json.loads(span.attributes["gen_ai.response.finish_reasons"]) == ["end_turn"]
    assert float(span.attributes["gen_ai.server.time_to_first_token"]) >= 0
