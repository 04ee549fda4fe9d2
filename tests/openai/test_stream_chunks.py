"""Streamed chat chunks the fake server does not send: several choices, a refusal, tool
calls spread over chunks, usage on the last content chunk (as some OpenAI-compatible
servers send it), a role on every chunk. Served as SSE through the real client."""

from __future__ import annotations

import json

import httpx2
import openai
import pytest

from tests.openai.conftest import MODEL, messages

RID = "chatcmpl-several"


def _chunk(choices: list[dict], usage: dict | None = None, **extra: object) -> dict:
    return {
        "id": RID, "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-2024",
        "system_fingerprint": "fp_1", "service_tier": "default", "choices": choices,
        "usage": usage, **extra,
    }  # fmt: skip


def _choice(index: int, delta: dict, finish: str | None = None) -> dict:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}


def _call(index: int, cid: str | None, name: str | None, args: str) -> dict:
    function = {"arguments": args} if name is None else {"name": name, "arguments": args}
    call: dict = {"index": index, "function": function}
    if cid is not None:
        call.update(id=cid, type="function")
    return call


USAGE = {
    "prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18,
    "prompt_tokens_details": {"cached_tokens": 3},
    "completion_tokens_details": {"reasoning_tokens": 2},
}  # fmt: skip

CHUNKS = [
    _chunk([_choice(0, {"role": "assistant", "content": ""}), _choice(1, {"role": "assistant"})]),
    _chunk([_choice(1, {"role": "assistant", "refusal": "I can"})]),
    _chunk([_choice(0, {"role": "assistant", "content": "Hel"})]),
    _chunk([_choice(2, {"role": "assistant", "tool_calls": [_call(0, "call_a", "f", '{"x"')]})]),
    _chunk([_choice(1, {"refusal": "not."})]),
    _chunk([_choice(0, {"content": "lo"}), _choice(2, {"tool_calls": [_call(0, None, None, ": 1}")]})]),
    _chunk([_choice(2, {"tool_calls": [_call(1, "call_b", "g", "{}")]})]),
    _chunk([_choice(1, {}, "stop"), _choice(2, {}, "tool_calls")]),
    _chunk([_choice(0, {}, "length")], usage=USAGE),
]  # fmt: skip


@pytest.fixture
def sse_client(autolog):
    def handler(request: httpx2.Request) -> httpx2.Response:
        body = "".join(f"data: {json.dumps(c)}\n\n" for c in CHUNKS) + "data: [DONE]\n\n"
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=body.encode()
        )

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    with openai.OpenAI(
        base_url="http://fake.invalid/v1", api_key="t", max_retries=0, http_client=http
    ) as client:
        yield client


def test_stream_with_several_choices_refusal_tools_and_usage(sse_client, traced):
    def consume():
        stream = sse_client.chat.completions.create(
            model=MODEL, messages=messages("several"), n=3, stream=True
        )
        return list(stream)

    chunks, root, [span] = traced(consume)
    assert len(chunks) == len(CHUNKS)
    assert span.parent_id == root.span_id and span.status == "OK"
    assert span.outputs == [
        {"role": "assistant", "content": "Hello"},
        {"role": "assistant", "content": None, "refusal": "I cannot."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_a", "type": "function",
                 "function": {"name": "f", "arguments": '{"x": 1}'}},
                {"id": "call_b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
            ],
        },
    ]  # fmt: skip
    a = span.attributes
    assert json.loads(a["gen_ai.response.finish_reasons"]) == ["length", "stop", "tool_calls"]
    assert a["gen_ai.response.id"] == RID
    assert a["gen_ai.response.model"] == "gpt-4o-2024"
    assert a["openai.response.service_tier"] == "default"
    assert a["openai.response.system_fingerprint"] == "fp_1"
    assert float(a["gen_ai.server.time_to_first_token"]) >= 0
    assert (span.input_tokens, span.output_tokens, span.cached_tokens) == (11, 7, 3)
    assert span.reasoning_tokens == 2
