"""Mistral chat and embeddings through the real client: attributes, usage and exact cost,
streams (sync, async, looped over directly), errors, autolog on/off."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
import spanwise
import spanwise.mistral
from mistralai.client import Mistral, errors

from tests.mistral.conftest import MODEL, user


def _cost(span) -> Decimal:
    plain = span.input_tokens - span.cached_tokens
    return (plain * Decimal("0.15") + span.cached_tokens * Decimal("0.015")
            + span.output_tokens * Decimal("0.6")) / 1_000_000  # fmt: skip


def test_complete_span_attributes_usage_and_cost(mistral, fake, traced):
    result, root, [span] = traced(
        mistral.chat.complete, model=MODEL, messages=user("hello there friend"),
        temperature=0.2, max_tokens=64, random_seed=7, stop=["END"],
    )  # fmt: skip
    assert result.choices[0].message.content == "echo: hello there friend"
    assert span.name == f"chat {MODEL}" and span.span_type == "LLM" and span.status == "OK"
    assert span.parent_id == root.span_id
    a = span.attributes
    assert a["gen_ai.provider.name"] == "mistral_ai" and a["gen_ai.request.model"] == MODEL
    assert a["server.address"] == "127.0.0.1" and int(a["server.port"]) == fake.port
    assert float(a["gen_ai.request.temperature"]) == 0.2
    assert int(a["gen_ai.request.max_tokens"]) == 64 and int(a["gen_ai.request.seed"]) == 7
    assert json.loads(a["gen_ai.request.stop_sequences"]) == ["END"]
    assert a["gen_ai.response.id"] == result.id
    assert json.loads(a["gen_ai.response.finish_reasons"]) == ["stop"]
    usage = result.usage
    assert (span.input_tokens, span.output_tokens) == (usage.prompt_tokens, usage.completion_tokens)
    assert span.cost_status == "ok" and span.cost == _cost(span) and span.cost > 0
    assert span.inputs == {"messages": user("hello there friend")}
    assert span.outputs == {"role": "assistant", "content": "echo: hello there friend"}


def test_stream_looped_over_directly(mistral, traced):
    def consume():
        return "".join(
            event.data.choices[0].delta.content or ""
            for event in mistral.chat.stream(model=MODEL, messages=user("stream me please"))
            if event.data.choices
        )

    text, root, [span] = traced(consume)
    assert text == "echo: stream me please" and span.parent_id == root.span_id
    assert span.attributes["gen_ai.request.stream"] == "true"
    assert span.outputs == {"role": "assistant", "content": text}
    assert span.input_tokens > 0 and span.output_tokens > 0 and span.cost == _cost(span)
    assert float(span.attributes["gen_ai.server.time_to_first_token"]) >= 0


def test_async_complete_and_stream(fake, autolog, traced):
    async def both():
        client = Mistral(api_key="test", server_url=fake.url)
        done = await client.chat.complete_async(model=MODEL, messages=user("async one"))
        stream = await client.chat.stream_async(model=MODEL, messages=user("async two"))
        text = ""
        async for event in stream:
            if event.data.choices:
                text += event.data.choices[0].delta.content or ""
        return done.choices[0].message.content, text

    texts, root, spans = traced(lambda: asyncio.run(both()))
    assert texts == ("echo: async one", "echo: async two")
    assert [s.outputs["content"] for s in spans] == list(texts)
    assert all(s.parent_id == root.span_id and s.cost > 0 for s in spans)


def test_embeddings(mistral, traced):
    result, _, [span] = traced(
        mistral.embeddings.create, model="mistral-embed", inputs=["a b", "c"]
    )
    assert len(result.data) == 2
    assert span.span_type == "EMBEDDING" and span.name == "embeddings mistral-embed"
    assert span.inputs == {"input": ["a b", "c"]}
    assert span.input_tokens == result.usage.prompt_tokens


def test_error_is_recorded_and_raised_unchanged(mistral, fake, traced):
    def call():
        fake.inject_error(429)
        with pytest.raises(errors.SDKError) as caught:
            mistral.chat.complete(model=MODEL, messages=user("hello"))
        return caught.value

    error, _, [span] = traced(call)
    assert span.status == "ERROR" and span.attributes["error.type"] == type(error).__qualname__


def test_autolog_is_idempotent_and_reversible(fake, sdk, fetch_trace):
    from mistralai.client import chat

    original = chat.Chat.complete
    spanwise.mistral.autolog()
    spanwise.mistral.autolog()
    assert chat.Chat.complete is not original and spanwise.mistral.is_enabled()
    spanwise.mistral.autolog(disable=True)
    assert chat.Chat.complete is original
