"""``invoke_model`` and its stream with the other model families' own bodies (Titan, Llama,
Mistral, Nova) and Claude's streamed tool use, through the real boto3 client: the reply
readable, why it stopped, the request's knobs, usage and the exact cost."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.anthropic.conftest import WEATHER_TOOL
from tests.bedrock.conftest import MODEL

PROMPT = "hello there friend"  # 3 input tokens; the reply "echo: hello there friend" is 4

# (model id, request body, its max-tokens knob, stop reason, cost of 3 in + 4 out)
FAMILIES = [
    pytest.param(
        "amazon.titan-text-express-v1",
        {"inputText": PROMPT, "textGenerationConfig": {"maxTokenCount": 50, "topP": 0.9}},
        50, "FINISH", Decimal("0.000003"),  # 3 × 0.2 + 4 × 0.6 $/M
        id="titan",
    ),
    pytest.param(
        "meta.llama3-1-8b-instruct-v1:0",
        {"prompt": PROMPT, "max_gen_len": 40, "temperature": 0.5},
        40, "stop", Decimal("0.00000154"),  # 7 × 0.22 $/M
        id="llama",
    ),
    pytest.param(
        "mistral.mistral-large-2402-v1:0",
        {"prompt": f"[INST] {PROMPT} [/INST]", "max_tokens": 30},
        30, "stop", Decimal("0.000092"),  # 5 in × 4 + 6 out × 12 $/M (the marks are words)
        id="mistral",
    ),
    pytest.param(
        "amazon.nova-lite-v1:0",
        {
            "schemaVersion": "messages-v1",
            "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
            "inferenceConfig": {"max_new_tokens": 20, "temperature": 0.1},
        },
        20, "end_turn", Decimal("0.00000114"),  # 3 × 0.06 + 4 × 0.24 $/M
        id="nova",
    ),
]  # fmt: skip


def _reply(body: dict) -> dict:
    """The fake's reply, "echo: " + the prompt as sent, as the family's own message shape
    (Nova's a list of content blocks, like its Converse API)."""
    if "messages" in body:
        return {"role": "assistant", "content": [{"text": f"echo: {PROMPT}"}]}
    prompt = body.get("inputText") or body.get("prompt")
    return {"role": "assistant", "content": f"echo: {prompt}"}


@pytest.mark.parametrize(("model", "request_body", "max_tokens", "stop", "cost"), FAMILIES)
def test_invoke_model_reads_each_familys_body(
    bedrock, traced, model, request_body, max_tokens, stop, cost
):
    def call():
        response = bedrock.invoke_model(modelId=model, body=json.dumps(request_body))
        return json.loads(response["body"].read())

    body, _, [span] = traced(call)
    assert body  # the caller's read() still has the whole body
    assert span.outputs == _reply(request_body)
    assert json.loads(span.attributes["gen_ai.response.finish_reasons"]) == [stop]
    assert int(span.attributes["gen_ai.request.max_tokens"]) == max_tokens
    assert span.cost == cost


@pytest.mark.parametrize(("model", "request_body", "max_tokens", "stop", "cost"), FAMILIES)
def test_invoke_model_stream_assembles_each_familys_pieces(
    bedrock, traced, model, request_body, max_tokens, stop, cost
):
    def consume():
        response = bedrock.invoke_model_with_response_stream(
            modelId=model, body=json.dumps(request_body)
        )
        return [json.loads(e["chunk"]["bytes"]) for e in response["body"]]

    chunks, _, [span] = traced(consume)
    assert len(chunks) > 2  # the reply came in pieces
    assert span.outputs == _reply(request_body)
    assert json.loads(span.attributes["gen_ai.response.finish_reasons"]) == [stop]
    assert span.cost == cost
    assert float(span.attributes["gen_ai.server.time_to_first_token"]) >= 0


def test_streamed_claude_tool_use_keeps_its_arguments(bedrock, traced):
    request = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "tools": [WEATHER_TOOL],  # Claude's tool format, as Bedrock passes it through
        "messages": [{"role": "user", "content": "weather in Paris?"}],
    }

    def consume():
        whole = bedrock.invoke_model(modelId=MODEL, body=json.dumps(request))
        expected = json.loads(whole["body"].read())["content"]
        response = bedrock.invoke_model_with_response_stream(
            modelId=MODEL, body=json.dumps(request)
        )
        for _ in response["body"]:
            pass
        return expected

    expected, _, [whole, streamed] = traced(consume)
    [block] = expected
    assert block["type"] == "tool_use" and block["input"]  # the fake called the tool
    assert whole.outputs == {"role": "assistant", "content": expected}
    # the streamed call captures what the whole one does: the tool and its arguments
    [streamed_block] = streamed.outputs["content"]
    assert streamed_block["id"].startswith("toolu_")  # each request gets its own id
    assert {**streamed_block, "id": block["id"]} == block
    assert json.loads(streamed.attributes["gen_ai.response.finish_reasons"]) == ["tool_use"]
