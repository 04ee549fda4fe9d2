"""The fake OpenAI server, driven by the real `openai` client (sync and async)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import openai
import pytest
from pydantic import BaseModel

from tests.fakes.openai_server import FakeOpenAI

MESSAGES = [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": "what is the capital of France"},
]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    },
}


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI(chunks=7) as srv:
        yield srv


@pytest.fixture
def client(server):
    with openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as c:
        yield c


def test_chat_completion_is_deterministic_with_usage_details(server, client):
    server.clear_requests()
    r = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2)
    assert r.choices[0].message.content == "echo: what is the capital of France"
    assert r.choices[0].finish_reason == "stop"
    assert r.model == "gpt-4o-mini"
    # prompt = words of every message (2 + 6), completion = words of the reply (7)
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (8, 7, 15)
    assert r.usage.prompt_tokens_details.cached_tokens == 4
    assert r.usage.completion_tokens_details.reasoning_tokens == 3
    rec = server.last_request
    assert rec.path == "/v1/chat/completions"
    assert rec.body["temperature"] == 0.2
    assert rec.headers["authorization"] == "Bearer test"


def test_stream_has_configured_chunks_and_optional_usage_chunk(client):
    chunks = list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    content = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content) == 7
    assert (
        "".join(c.choices[0].delta.content for c in content)
        == "echo: what is the capital of France"
    )
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)

    chunks = list(
        client.chat.completions.create(
            model="m",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers={"x-fake-chunks": "20"},
        )
    )
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) == 20
    assert chunks[-1].choices == []
    assert chunks[-1].usage.prompt_tokens == 8
    assert chunks[-1].usage.prompt_tokens_details.cached_tokens == 4


def test_tool_calls_non_streaming_and_streaming(client):
    r = client.chat.completions.create(model="m", messages=MESSAGES, tools=[WEATHER_TOOL])
    call = r.choices[0].message.tool_calls[0]
    assert r.choices[0].finish_reason == "tool_calls"
    assert (call.function.name, call.function.arguments) == (
        "get_weather",
        '{"city":"text","days":1}',
    )

    stream = client.chat.completions.create(
        model="m", messages=MESSAGES, tools=[WEATHER_TOOL], stream=True
    )
    chunks = list(stream)
    deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert deltas[0].id == "call_" + chunks[0].id.removeprefix("chatcmpl-")
    assert deltas[0].function.name == "get_weather"
    assert "".join(d.function.arguments or "" for d in deltas) == '{"city":"text","days":1}'
    assert chunks[-1].choices[0].finish_reason == "tool_calls"

    # after a tool result the model answers in text, so agent loops end
    followup = [
        *MESSAGES,
        {"role": "assistant", "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    r2 = client.chat.completions.create(model="m", messages=followup, tools=[WEATHER_TOOL])
    assert r2.choices[0].message.content == "echo: sunny"


def test_structured_output_parse(client):
    class City(BaseModel):
        name: str
        population: int
        tags: list[str]

    r = client.chat.completions.parse(model="m", messages=MESSAGES, response_format=City)
    assert r.choices[0].message.parsed == City(name="text", population=1, tags=["text"])


def test_responses_api_plain_streaming_and_tools(server, client):
    r = client.responses.create(model="gpt-4o", input="hello world", instructions="be nice")
    assert r.output_text == "echo: hello world"
    assert (r.usage.input_tokens, r.usage.output_tokens) == (4, 3)
    assert r.usage.input_tokens_details.cached_tokens == 2
    assert r.usage.output_tokens_details.reasoning_tokens == 1
    assert server.last_request.path == "/v1/responses"

    events = list(client.responses.create(model="gpt-4o", input="hello world", stream=True))
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert types.count("response.output_text.delta") == 7
    assert (
        "".join(e.delta for e in events if e.type == "response.output_text.delta")
        == "echo: hello world"
    )
    assert events[-1].response.usage.output_tokens == 3

    tool = {
        "type": "function",
        "name": "lookup",
        "parameters": WEATHER_TOOL["function"]["parameters"],
    }
    r = client.responses.create(model="gpt-4o", input="weather?", tools=[tool])
    assert r.output[0].type == "function_call"
    assert (r.output[0].name, r.output[0].arguments) == ("lookup", '{"city":"text","days":1}')


def test_embeddings_float_and_base64_agree(client):
    b64 = client.embeddings.create(model="text-embedding-3-small", input=["one two", "three"])
    flt = client.embeddings.create(
        model="text-embedding-3-small", input=["one two", "three"], encoding_format="float"
    )
    assert [d.embedding for d in b64.data] == [d.embedding for d in flt.data]
    assert len(flt.data) == 2 and len(flt.data[0].embedding) == 8
    assert flt.usage.prompt_tokens == 3
    wide = client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=32)
    assert len(wide.data[0].embedding) == 32


def test_async_client_stream_and_gather(server):
    async def run():
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key="t", max_retries=0) as ac:
            replies = await asyncio.gather(
                *(
                    ac.chat.completions.create(
                        model="m", messages=[{"role": "user", "content": f"q{i}"}]
                    )
                    for i in range(5)
                )
            )
            stream = await ac.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            resp = await ac.responses.create(model="m", input="async hi")
            emb = await ac.embeddings.create(model="e", input="x")
            return [r.choices[0].message.content for r in replies], text, resp.output_text, emb

    contents, text, resp_text, emb = asyncio.run(run())
    assert contents == [f"echo: q{i}" for i in range(5)]
    assert text == "echo: what is the capital of France"
    assert resp_text == "echo: async hi"
    assert len(emb.data[0].embedding) == 8


def test_errors_surface_as_openai_exceptions(server, client):
    with pytest.raises(openai.RateLimitError) as exc:
        client.chat.completions.create(model="gpt-4o-error-429", messages=MESSAGES)
    assert exc.value.status_code == 429
    assert exc.value.response.headers["retry-after"] == "1"
    assert exc.value.body["code"] == "rate_limit_exceeded"

    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="m", messages=MESSAGES, extra_headers={"x-fake-error": "500"}
        )
    with pytest.raises(openai.RateLimitError):
        client.responses.create(model="error-429", input="x")

    server.inject_error(500, times=2)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            client.embeddings.create(model="e", input="x")
    assert client.embeddings.create(model="e", input="x").data


def test_retries_recover_after_injected_429(server):
    server.inject_error(429, times=1)
    with openai.OpenAI(base_url=server.base_url, api_key="t", max_retries=1) as c:
        r = c.chat.completions.create(
            model="m", messages=MESSAGES, extra_headers={"x-fake-retry-after": "0"}
        )
    assert r.choices[0].message.content.startswith("echo:")


def test_delay_causes_client_timeout(client):
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.2).chat.completions.create(
            model="gpt-4o-delay-2", messages=MESSAGES
        )


def test_stream_dropped_mid_way_raises_in_the_consumer(client):
    stream = client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True, extra_headers={"x-fake-abort-after": "3"}
    )
    got = []
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        for chunk in stream:
            got.append(chunk)
    assert len(got) == 3


def test_standalone_process_prints_port_and_serves():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root / 'collector'}{os.pathsep}{root}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.openai_server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=root,
    )
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("port=")
        port = int(first.removeprefix("port="))
        with openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="t", max_retries=0) as c:
            r = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "ping"}])
        assert r.choices[0].message.content == "echo: ping"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
