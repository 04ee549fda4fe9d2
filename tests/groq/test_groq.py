"""Groq chat completions through the real ``groq`` client against the fake server (its
OpenAI routes under /openai/v1, answering Groq's SDK as Groq's API does)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import groq
import pytest
import spanwise
import spanwise.groq
from spanwise import SpanType

from tests.fakes.openai_server import FakeOpenAI
from tests.support.traced import traced_runner

MODEL = "llama-3.1-8b-instant"  # Groq's prices: input 0.05, output 0.08 $/M


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def groq_client(fake, sdk):
    spanwise.groq.autolog()
    yield groq.Groq(api_key="test", base_url=fake.url, max_retries=0)
    spanwise.groq.autolog(disable=True)


@pytest.fixture
def traced(fetch_trace):
    return traced_runner(fetch_trace, (SpanType.LLM,))


def _cost(span) -> Decimal:  # Groq lists no cached price: every input token at 0.05
    return (span.input_tokens * Decimal("0.05") + span.output_tokens * Decimal("0.08")) / 10**6


def test_completion_is_priced_as_groq(groq_client, fake, traced):
    messages = [{"role": "user", "content": "hello there friend"}]
    result, root, [span] = traced(
        groq_client.chat.completions.create, model=MODEL, messages=messages
    )
    assert result.choices[0].message.content == "echo: hello there friend"
    assert span.name == f"chat {MODEL}" and span.parent_id == root.span_id
    a = span.attributes
    assert a["gen_ai.provider.name"] == "groq" and int(a["server.port"]) == fake.port
    assert span.input_tokens == result.usage.prompt_tokens > 0
    assert span.cost_status == "ok" and span.cost == _cost(span) > 0
    assert span.outputs == {"role": "assistant", "content": "echo: hello there friend"}


def test_stream_usage_from_x_groq(groq_client, traced):
    def consume():
        chunks = list(
            groq_client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "stream me"}], stream=True
            )
        )
        return chunks, chunks[-1].x_groq.usage

    (chunks, usage), _, [span] = traced(consume)
    assert all(c.choices for c in chunks)  # no usage-only chunk: Groq's shape
    assert (span.input_tokens, span.output_tokens) == (usage.prompt_tokens, usage.completion_tokens)
    assert span.outputs["content"] == "echo: stream me" and span.cost == _cost(span)


def test_async_completion(fake, sdk, traced):
    async def call():
        client = groq.AsyncGroq(api_key="test", base_url=fake.url, max_retries=0)
        return await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "async hi"}]
        )

    spanwise.groq.autolog()
    try:
        result, _, [span] = traced(lambda: asyncio.run(call()))
    finally:
        spanwise.groq.autolog(disable=True)
    assert span.outputs["content"] == result.choices[0].message.content == "echo: async hi"
    assert span.cost == _cost(span) > 0
