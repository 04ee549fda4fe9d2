"""generate_content through the real google-genai client: attributes, usage and its exact
cost, inputs/outputs, function calls, errors, chats, embeddings, autolog on/off."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import spanwise
import spanwise.gemini
from google.genai import errors, types

from tests.gemini.conftest import MODEL, make_client

WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Weather for a city",
    parameters=types.Schema(
        type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]
    ),
)


def test_generate_content_span_attributes_usage_and_cost(gemini, traced):
    config = types.GenerateContentConfig(
        system_instruction="be brief", temperature=0.2, max_output_tokens=64, top_k=3,
        stop_sequences=["END"], response_mime_type="text/plain",
    )  # fmt: skip
    result, root, [span] = traced(
        gemini.models.generate_content, model=MODEL, contents="hello there friend", config=config
    )
    assert result.text == "echo: hello there friend"
    assert span.name == f"generate_content {MODEL}" and span.span_type == "LLM"
    assert span.parent_id == root.span_id and span.status == "OK"
    a = span.attributes
    assert a["gen_ai.operation.name"] == "generate_content"
    assert a["gen_ai.provider.name"] == "gcp.gemini" and a["gen_ai.system"] == "gcp.gemini"
    assert a["gen_ai.request.model"] == MODEL and a["gen_ai.response.model"] == MODEL
    assert a["gen_ai.response.id"] == result.response_id
    assert float(a["gen_ai.request.temperature"]) == 0.2
    assert int(a["gen_ai.request.max_tokens"]) == 64 and float(a["gen_ai.request.top_k"]) == 3
    assert json.loads(a["gen_ai.request.stop_sequences"]) == ["END"]
    assert a["gen_ai.output.type"] == "text"
    assert json.loads(a["gen_ai.response.finish_reasons"]) == ["STOP"]
    # prompt: "be brief" + "hello there friend" = 5 words; reply 4 words
    usage = result.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count) == (5, 4)
    assert (span.input_tokens, span.output_tokens, span.cached_tokens) == (5, 4, 0)
    # 5 × $0.30 + 4 × $2.50, per million
    assert span.cost_status == "ok" and span.cost == Decimal("0.0000115")
    assert span.inputs == {"contents": "hello there friend", "system_instruction": "be brief"}
    assert span.outputs == {"role": "model", "content": "echo: hello there friend"}


def test_thinking_tokens_are_output_priced_and_reported_as_reasoning(gemini, traced):
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_budget=128))
    result, _, [span] = traced(
        gemini.models.generate_content, model=MODEL, contents="think hard", config=config
    )
    usage = result.usage_metadata
    assert (usage.candidates_token_count, usage.thoughts_token_count) == (3, 3)
    # candidates_token_count excludes the thinking tokens: the span's output is both
    assert (span.input_tokens, span.output_tokens) == (2, 6)
    assert int(span.attributes["gen_ai.usage.reasoning.output_tokens"]) == 3
    assert span.cost == Decimal("0.0000156")  # 2 × 0.30 + 6 × 2.50


def test_cached_content_tokens_are_a_priced_subset_of_the_prompt(gemini, traced):
    config = types.GenerateContentConfig(cached_content="cachedContents/abc")
    result, _, [span] = traced(
        gemini.models.generate_content, model=MODEL, contents="one two three four", config=config
    )
    assert result.usage_metadata.cached_content_token_count == 2
    assert (span.input_tokens, span.cached_tokens, span.output_tokens) == (4, 2, 5)
    # 2 plain × $0.30 + 2 cached × $0.03 + 5 out × $2.50, per million
    assert span.cost == Decimal("0.00001316")


def test_async_generate_content(fake, autolog, traced):
    async def call():
        client = make_client(fake)
        return await client.aio.models.generate_content(model=MODEL, contents="async hello")

    result, root, [span] = traced(lambda: asyncio.run(call()))
    assert result.text == "echo: async hello"
    assert span.parent_id == root.span_id
    assert span.outputs == {"role": "model", "content": "echo: async hello"}
    assert (span.input_tokens, span.output_tokens) == (2, 3)


def test_function_call_returned_to_the_caller(gemini, traced):
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[WEATHER])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    result, _, [span] = traced(
        gemini.models.generate_content, model=MODEL, contents="weather in Paris", config=config
    )
    [call] = result.function_calls
    assert span.outputs["function_calls"] == [{"name": "get_weather", "args": call.args}]
    assert span.outputs["content"] is None
    assert span.inputs["tools"][0]["function_declarations"][0]["name"] == "get_weather"


def test_automatic_function_calling_prices_every_request(gemini, fake, traced_all):
    """The client runs the tool and asks again: two requests in one call. The response
    reports only the last one's usage; each request gets its own priced LLM span."""

    @spanwise.trace(span_type="TOOL")
    def get_weather(city: str) -> dict:
        """Weather for a city."""
        return {"city": city, "temp": 21}

    fake.clear_requests()
    result, root, spans = traced_all(
        gemini.models.generate_content,
        model=MODEL,
        contents="weather in Paris",
        config=types.GenerateContentConfig(tools=[get_weather]),
    )
    assert len(fake.requests) == 2
    assert result.text.startswith("echo: ")
    [call] = [s for s in spans if s.span_type == "CHAIN"]
    [tool] = [s for s in spans if s.span_type == "TOOL"]
    first, second = [s for s in spans if s.span_type == "LLM"]
    assert call.parent_id == root.span_id and call.name == f"generate_content {MODEL}"
    assert first.parent_id == call.span_id and second.parent_id == call.span_id
    assert tool.parent_id == call.span_id
    assert first.end_time_ns <= tool.start_time_ns and tool.end_time_ns <= second.start_time_ns
    assert first.outputs["function_calls"][0]["name"] == "get_weather"
    assert second.outputs == {"role": "model", "content": result.text}
    # the second request carries the history: the call, the tool's result
    assert second.input_tokens > first.input_tokens
    assert second.input_tokens == result.usage_metadata.prompt_token_count
    for llm in (first, second):
        assert llm.cost_status == "ok" and llm.cost > 0
        expected = (Decimal(llm.input_tokens) * Decimal("0.30") + Decimal(llm.output_tokens)
                    * Decimal("2.50")) / 1_000_000  # fmt: skip
        assert llm.cost == expected
    # the call's own span is not priced again: the trace's cost is the requests' sum
    assert not call.input_tokens and not call.output_tokens and not call.cost
    assert call.outputs["content"] == result.text


def test_error_is_recorded_and_reaches_the_caller_unchanged(gemini, fake, traced):
    def call():
        fake.inject_error(429)
        try:
            gemini.models.generate_content(model=MODEL, contents="hello")
        except errors.ClientError as exc:
            return exc

    exc, _, [span] = traced(call)
    assert exc.code == 429
    assert span.status == "ERROR"
    assert span.attributes["error.type"] == "ClientError"
    assert int(span.attributes["http.response.status_code"]) == 429
    assert span.cost_status == "no_usage"


def test_chat_messages_are_traced(gemini, traced):
    def talk():
        chat = gemini.chats.create(model=MODEL)
        chat.send_message("first question")
        return chat.send_message("second question")

    result, _, spans = traced(talk)
    assert result.text == "echo: second question"
    assert [s.outputs["content"] for s in spans] == [
        "echo: first question",
        "echo: second question",
    ]
    assert spans[1].input_tokens > spans[0].input_tokens  # the history is sent again


def test_embed_content(gemini, traced_all):
    result, _, [span] = traced_all(
        gemini.models.embed_content, model="gemini-embedding-001", contents=["a b", "c"]
    )
    assert len(result.embeddings) == 2
    assert span.span_type == "EMBEDDING" and span.name == "embeddings gemini-embedding-001"
    assert span.attributes["gen_ai.provider.name"] == "gcp.gemini"
    assert span.inputs == ["a b", "c"]
    assert span.outputs["embeddings"] == 2 and span.outputs["dimensions"] > 0


def test_log_inputs_and_outputs_off(fake, sdk, traced):
    spanwise.gemini.autolog(log_inputs=False, log_outputs=False)
    client = make_client(fake)  # held: a dropped client closes its connections
    try:
        _, _, [span] = traced(client.models.generate_content, model=MODEL, contents="x")
    finally:
        spanwise.gemini.autolog(disable=True)
    assert span.inputs is None and span.outputs is None
    assert span.input_tokens == 1


def test_autolog_is_idempotent_and_reversible(fake, sdk, fetch_trace):
    from google.genai import models

    original = models.Models.generate_content
    spanwise.gemini.autolog()
    spanwise.gemini.autolog()
    assert spanwise.gemini.is_enabled()
    assert models.Models.generate_content is not original
    spanwise.gemini.autolog(disable=True)
    assert models.Models.generate_content is original
    assert models.Models._generate_content.__qualname__ == "Models._generate_content"
    seen = {}

    @spanwise.trace(name="parent")
    def parent():
        seen["trace_id"] = spanwise.get_current_trace_id()
        client.models.generate_content(model=MODEL, contents="untraced")

    client = make_client(fake)
    parent()
    trace = fetch_trace(seen["trace_id"])
    assert [s.name for s in trace.data.spans] == ["parent"]


def test_spanwise_autolog_enables_gemini(fake, sdk, traced):
    spanwise.autolog()
    try:
        client = make_client(fake)
        _, _, [span] = traced(client.models.generate_content, model=MODEL, contents="hi")
        assert span.attributes["gen_ai.provider.name"] == "gcp.gemini"
    finally:
        spanwise.autolog(disable=True)
    assert not spanwise.gemini.is_enabled()


def test_vertex_ai_client_is_priced_as_vertex():
    """The provider (and so the price list) follows the client; no call is made."""
    from google import genai
    from spanwise._internal.integrations.gemini.request import provider_attributes

    vertex = genai.Client(vertexai=True, project="p", location="us-central1", credentials=None)
    assert provider_attributes(vertex.models)["gen_ai.provider.name"] == "gcp.vertex_ai"
    gemini_api = genai.Client(api_key="k")
    assert provider_attributes(gemini_api.aio.models)["gen_ai.provider.name"] == "gcp.gemini"


def test_async_automatic_function_calling_and_a_dict_config(fake, autolog, traced_all):
    async def get_weather(city: str) -> dict:
        """Weather for a city."""
        return {"city": city, "temp": 19}

    async def call():
        client = make_client(fake)
        return await client.aio.models.generate_content(
            model=MODEL,
            contents="weather in Lyon",
            config={"tools": [get_weather], "temperature": 0.5},
        )

    fake.clear_requests()
    result, _, spans = traced_all(lambda: asyncio.run(call()))
    assert len(fake.requests) == 2
    [chain] = [s for s in spans if s.span_type == "CHAIN"]
    first, second = [s for s in spans if s.span_type == "LLM"]
    assert first.parent_id == second.parent_id == chain.span_id
    assert float(first.attributes["gen_ai.request.temperature"]) == 0.5
    assert second.outputs["content"] == result.text and first.cost > 0 and second.cost > 0
