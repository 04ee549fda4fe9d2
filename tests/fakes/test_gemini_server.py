"""The fake server's Gemini API routes, driven by the real `google-genai` client (sync and async)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from google import genai
from google.genai import errors, types
from spanwise_collector.testing._openai_payloads import embedding_vector

from tests.fakes.openai_server import FakeOpenAI

try:  # google-genai >= 2 talks over httpx2
    import httpx2

    TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError)
except ImportError:  # pragma: no cover
    TRANSPORT_ERRORS = (httpx.HTTPError,)

MODEL = "gemini-2.5-flash"
PATH = f"/v1/models/{MODEL}:generateContent"  # google-genai defaults to api_version v1
NO_AFC = types.AutomaticFunctionCallingConfig(disable=True)
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    parameters=types.Schema(
        type="OBJECT",
        properties={"city": types.Schema(type="STRING"), "days": types.Schema(type="INTEGER")},
        required=["city", "days"],
    ),
)
CLOCK = types.FunctionDeclaration(
    name="get_time",
    parameters_json_schema={"type": "object", "properties": {"tz": {"enum": ["UTC"]}}},
)


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI(chunks=5) as srv:
        yield srv


def make_client(srv: FakeOpenAI, **opts) -> genai.Client:
    # attempts=1: never retry (the client retries 408/429/5xx when retry_options are given)
    retry = types.HttpRetryOptions(attempts=1)
    options = types.HttpOptions(base_url=srv.url, retry_options=retry, **opts)
    return genai.Client(api_key="x", http_options=options)


@pytest.fixture
def client(server):
    server.clear_requests()
    return make_client(server)


def usage_of(r: types.GenerateContentResponse) -> tuple:
    u = r.usage_metadata
    return (
        u.prompt_token_count,
        u.candidates_token_count,
        u.thoughts_token_count,
        u.cached_content_token_count,
        u.total_token_count,
    )


def headers(**h: str) -> types.HttpOptions:
    return types.HttpOptions(headers={k.replace("_", "-"): v for k, v in h.items()})


def test_generate_content_echoes_with_exact_usage(server, client):
    r = client.models.generate_content(model=MODEL, contents="hello there")
    assert r.text == "echo: hello there"
    assert r.candidates[0].finish_reason == types.FinishReason.STOP
    assert r.candidates[0].content.role == "model"
    assert r.model_version == MODEL
    assert r.response_id.startswith("fake")  # the request id
    assert r.sdk_http_response.headers["x-request-id"] == f"req_{r.response_id}"
    # prompt: "hello there" (2), candidates: "echo: hello there" (3)
    assert usage_of(r) == (2, 3, None, None, 5)
    rec = server.last_request
    assert rec.path == PATH
    assert rec.body["contents"] == [{"parts": [{"text": "hello there"}], "role": "user"}]
    assert rec.headers["x-goog-api-key"] == "x"


def test_system_instruction_thinking_and_cached_content_counts(server, client):
    config = types.GenerateContentConfig(
        system_instruction="be brief please",
        thinking_config=types.ThinkingConfig(thinking_budget=128),
    )
    r = client.models.generate_content(model=MODEL, contents="hello there", config=config)
    assert r.text == "echo: hello there"
    # prompt 3 + 2 words, candidates 3, thoughts 3 (counted in the total)
    assert usage_of(r) == (5, 3, 3, None, 11)
    assert server.last_request.body["systemInstruction"] == {
        "parts": [{"text": "be brief please"}],
        "role": "user",
    }

    config = types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(include_thoughts=True),
        cached_content="cachedContents/abc",
    )
    r = client.models.generate_content(model=MODEL, contents="one two three four", config=config)
    # cached tokens are a part of the prompt count (P // 2), not beside it
    assert usage_of(r) == (4, 5, 3, 2, 12)


def test_last_user_content_and_multi_turn(client):
    contents = [
        types.Content(role="user", parts=[types.Part(text="first")]),
        types.Content(role="model", parts=[types.Part(text="reply")]),
        types.Content(role="user", parts=[types.Part(text="second"), types.Part(text="turn")]),
    ]
    r = client.models.generate_content(model=MODEL, contents=contents)
    assert r.text == "echo: second turn"
    assert r.usage_metadata.prompt_token_count == 4


def test_stream_sync_has_chunks_with_cumulative_usage(server, client):
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="hello there you"))
    assert [c.text for c in chunks] == ["echo", ": he", "llo ", "ther", "e you"]
    assert [c.usage_metadata.candidates_token_count for c in chunks] == [1, 2, 2, 3, 4]
    assert {c.usage_metadata.prompt_token_count for c in chunks} == {3}
    assert [c.candidates[0].finish_reason for c in chunks[:-1]] == [None] * 4
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.total_token_count == 7
    assert {c.response_id for c in chunks} == {chunks[0].response_id}
    assert server.last_request.path == f"/v1/models/{MODEL}:streamGenerateContent?alt=sse"

    config = types.GenerateContentConfig(
        http_options=headers(x_fake_chunks="2"),
        thinking_config=types.ThinkingConfig(thinking_budget=64),
    )
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="hi", config=config))
    assert "".join(c.text for c in chunks) == "echo: hi"
    assert [c.usage_metadata.thoughts_token_count for c in chunks] == [None, 3]
    assert chunks[-1].usage_metadata.total_token_count == 1 + 2 + 3


def test_async_generate_and_stream(server):
    async def run():
        aio = make_client(server).aio
        replies = await asyncio.gather(
            *(aio.models.generate_content(model=MODEL, contents=f"q{i}") for i in range(4))
        )
        stream = await aio.models.generate_content_stream(model=MODEL, contents="async hi")
        pieces = [c.text async for c in stream]
        return [r.text for r in replies], pieces

    texts, pieces = asyncio.run(run())
    assert texts == [f"echo: q{i}" for i in range(4)]
    assert len(pieces) == 5 and "".join(pieces) == "echo: async hi"


def test_embed_content_uses_batch_embed_contents(server, client):
    r = client.models.embed_content(model="text-embedding-004", contents=["one two", "three"])
    assert [e.values for e in r.embeddings] == [
        embedding_vector("one two", 8),
        embedding_vector("three", 8),
    ]
    rec = server.last_request
    assert rec.path == "/v1/models/text-embedding-004:batchEmbedContents"
    assert rec.body["requests"][0]["model"] == "models/text-embedding-004"
    config = types.EmbedContentConfig(output_dimensionality=32)
    r = client.models.embed_content(model="text-embedding-004", contents="x", config=config)
    assert len(r.embeddings[0].values) == 32


def test_function_call_then_function_response(server, client):
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[WEATHER, CLOCK])],
        automatic_function_calling=NO_AFC,
    )
    prompt = types.Content(role="user", parts=[types.Part(text="weather in Paris?")])
    r = client.models.generate_content(model=MODEL, contents=[prompt], config=config)
    call = r.function_calls[0]
    assert (call.name, call.args, call.id) == ("get_weather", {"city": "text", "days": 1}, None)
    assert r.candidates[0].finish_reason == types.FinishReason.STOP
    assert r.text is None
    # prompt: 3 words; candidates: '{"city":"text","days":1}' is one word
    assert usage_of(r) == (3, 1, None, None, 4)
    sent = server.last_request.body["tools"][0]["functionDeclarations"][0]
    assert sent["parameters"]["type"] == "OBJECT"

    answer = types.Part.from_function_response(name="get_weather", response={"sky": "sunny"})
    contents = [prompt, r.candidates[0].content, types.Content(role="user", parts=[answer])]
    r2 = client.models.generate_content(model=MODEL, contents=contents, config=config)
    assert r2.text == 'echo: {"sky":"sunny"}'
    assert r2.function_calls is None
    # prompt: 3 words + the call args JSON (1) + the response JSON (1)
    assert r2.usage_metadata.prompt_token_count == 5


def test_tool_config_mode_and_allowed_function_names(client):
    def config(mode: str, allowed: list[str] | None = None) -> types.GenerateContentConfig:
        calling = types.FunctionCallingConfig(mode=mode, allowed_function_names=allowed)
        return types.GenerateContentConfig(
            tools=[types.Tool(function_declarations=[WEATHER, CLOCK])],
            tool_config=types.ToolConfig(function_calling_config=calling),
            automatic_function_calling=NO_AFC,
        )

    r = client.models.generate_content(model=MODEL, contents="hi", config=config("NONE"))
    assert r.text == "echo: hi" and r.function_calls is None
    r = client.models.generate_content(
        model=MODEL, contents="hi", config=config("ANY", ["get_time"])
    )
    assert (r.function_calls[0].name, r.function_calls[0].args) == ("get_time", {"tz": "UTC"})


def test_automatic_function_calling_loops_through_the_server(server, client):
    def get_weather(city: str, days: int) -> dict:
        """The forecast for a city."""
        return {"city": city, "days": days, "sky": "sunny"}

    config = types.GenerateContentConfig(tools=[get_weather])
    r = client.models.generate_content(model=MODEL, contents="weather?", config=config)
    # the client wraps the function's return value as {"result": ...}
    assert r.text == 'echo: {"result":{"city":"text","days":1,"sky":"sunny"}}'
    first, second = server.requests
    assert "functionResponse" not in json.dumps(first.body)
    decl = first.body["tools"][0]["functionDeclarations"][0]
    assert decl["name"] == "get_weather" and "parameters_json_schema" in decl
    assert second.body["contents"][1]["parts"][0]["functionCall"] == {
        "args": {"city": "text", "days": 1},
        "name": "get_weather",
    }
    assert len(r.automatic_function_calling_history) == 3


def test_errors_surface_as_google_genai_errors(server, client):
    server.inject_error(429)
    with pytest.raises(errors.ClientError) as exc:
        client.models.generate_content(model=MODEL, contents="x")
    assert (exc.value.code, exc.value.status) == (429, "RESOURCE_EXHAUSTED")
    assert exc.value.message == "fake error 429"
    assert len(server.requests) == 1  # not retried
    assert client.models.generate_content(model=MODEL, contents="x").text == "echo: x"

    with pytest.raises(errors.ClientError) as exc:
        client.models.generate_content(model="gemini-error-404", contents="x")
    assert (exc.value.code, exc.value.status) == (404, "NOT_FOUND")
    with pytest.raises(errors.ServerError) as exc:
        list(
            client.models.generate_content_stream(
                model=MODEL,
                contents="x",
                config=types.GenerateContentConfig(http_options=headers(x_fake_error="503")),
            )
        )
    assert (exc.value.code, exc.value.status) == (503, "UNAVAILABLE")
    server.inject_error(403)
    with pytest.raises(errors.ClientError) as exc:
        client.models.embed_content(model="text-embedding-004", contents="x")
    assert exc.value.details == {
        "error": {"code": 403, "message": "fake error 403", "status": "PERMISSION_DENIED"}
    }


def test_client_retry_options_recover_after_injected_429(server):
    server.clear_requests()
    server.inject_error(429)
    retry = types.HttpRetryOptions(attempts=2, initial_delay=0, jitter=0)
    options = types.HttpOptions(base_url=server.url, retry_options=retry)
    client = genai.Client(api_key="x", http_options=options)
    assert client.models.generate_content(model=MODEL, contents="x").text == "echo: x"
    assert len(server.requests) == 2


def test_delay_and_dropped_stream(client):
    slow = types.GenerateContentConfig(http_options=types.HttpOptions(timeout=200))  # ms
    with pytest.raises(TRANSPORT_ERRORS):
        client.models.generate_content(model="gemini-delay-2", contents="x", config=slow)

    config = types.GenerateContentConfig(http_options=headers(x_fake_abort_after="2"))
    got = []
    with pytest.raises(TRANSPORT_ERRORS):
        for chunk in client.models.generate_content_stream(
            model=MODEL, contents="hi", config=config
        ):
            got.append(chunk)
    assert len(got) == 2


def test_api_versions_and_raw_wire_format(server):
    client = make_client(server, api_version="v1beta")
    assert client.models.generate_content(model=MODEL, contents="hi").text == "echo: hi"
    assert server.last_request.path == f"/v1beta/models/{MODEL}:generateContent"

    url = f"{server.url}/v1alpha/models/{MODEL}:streamGenerateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    sse = httpx.post(url, params={"alt": "sse"}, json=body, headers={"x-fake-chunks": "2"})
    assert sse.headers["content-type"].startswith("text/event-stream")
    events = sse.text.split("\r\n\r\n")
    assert events[-1] == "" and len(events) == 3  # CRLF-framed, no [DONE]
    assert [
        json.loads(e.removeprefix("data: "))["candidates"][0]["content"] for e in events[:2]
    ] == [
        {"role": "model", "parts": [{"text": "echo"}]},
        {"role": "model", "parts": [{"text": ": hi"}]},
    ]
    array = httpx.post(url, json=body, headers={"x-fake-chunks": "2"}).json()  # no alt=sse
    assert [c["candidates"][0]["content"]["parts"][0]["text"] for c in array] == ["echo", ": hi"]

    one = httpx.post(
        f"{server.url}/v1beta/models/embedding-001:embedContent",
        json={"content": {"parts": [{"text": "a b"}]}, "outputDimensionality": 4},
    ).json()
    assert one == {"embedding": {"values": embedding_vector("a b", 4)}}
    bad = httpx.post(f"{server.url}/v1beta/models/{MODEL}:generateContent", content=b"[]")
    assert bad.status_code == 400
    assert bad.json()["error"]["status"] == "INVALID_ARGUMENT"
