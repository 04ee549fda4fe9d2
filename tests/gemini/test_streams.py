"""generate_content_stream: the span ends exactly once, with the whole text, the last
chunk's usage (Gemini's counts are cumulative) and the time to the first token."""

from __future__ import annotations

import asyncio
import gc
from decimal import Decimal

import spanwise
from google.genai import types

from tests.gemini.conftest import MODEL, make_client

CHUNKS = types.GenerateContentConfig(http_options=types.HttpOptions(headers={"x-fake-chunks": "4"}))


def test_sync_stream_looped_over_directly(gemini, traced):
    def consume():
        return [
            c.text
            for c in gemini.models.generate_content_stream(
                model=MODEL, contents="stream me please", config=CHUNKS
            )
        ]

    pieces, root, [span] = traced(consume)
    assert len(pieces) == 4 and "".join(pieces) == "echo: stream me please"
    assert span.parent_id == root.span_id and span.status == "OK"
    assert span.outputs == {"role": "model", "content": "echo: stream me please"}
    assert span.attributes["gen_ai.request.stream"] == "true"
    # the counts are cumulative: the last chunk's, not their sum (3 prompt, 4 reply words)
    assert (span.input_tokens, span.output_tokens) == (3, 4)
    assert span.cost == Decimal("0.0000109")  # 3 × $0.30 + 4 × $2.50 per million
    ttft = float(span.attributes["gen_ai.server.time_to_first_token"])
    assert ttft >= 0 and span.start_time_ns + ttft * 1e9 <= span.end_time_ns + 1e6


def test_async_stream(fake, autolog, traced):
    async def consume():
        client = make_client(fake)
        stream = await client.aio.models.generate_content_stream(
            model=MODEL, contents="async stream", config=CHUNKS
        )
        return [c.text async for c in stream]

    pieces, root, [span] = traced(lambda: asyncio.run(consume()))
    assert "".join(pieces) == "echo: async stream"
    assert span.parent_id == root.span_id
    assert span.outputs["content"] == "echo: async stream"
    assert (span.input_tokens, span.output_tokens) == (2, 3)


def test_stream_left_half_way_ends_its_span_when_dropped(gemini, traced):
    def consume():
        stream = gemini.models.generate_content_stream(
            model=MODEL, contents="one two three four five", config=CHUNKS
        )
        first = next(iter(stream)).text
        del stream
        gc.collect()
        return first

    first, root, [span] = traced(consume)
    assert span.end_time_ns <= root.end_time_ns  # ended when dropped, inside the parent
    assert span.outputs == {"role": "model", "content": first}


def test_stream_never_started_still_ends_its_span(gemini, traced):
    def consume():
        gemini.models.generate_content_stream(model=MODEL, contents="never read")
        gc.collect()

    _, root, [span] = traced(consume)
    assert span.end_time_ns <= root.end_time_ns and span.outputs is None


def test_stream_with_automatic_function_calling_prices_each_request(gemini, fake, fetch_trace):
    def get_weather(city: str) -> dict:
        """Weather for a city."""
        return {"city": city, "temp": 21}

    seen = {}

    @spanwise.trace(name="parent")
    def parent():
        seen["trace_id"] = spanwise.get_current_trace_id()
        config = types.GenerateContentConfig(tools=[get_weather])
        return "".join(
            c.text or ""
            for c in gemini.models.generate_content_stream(
                model=MODEL, contents="weather in Rome", config=config
            )
        )

    fake.clear_requests()
    text = parent()
    assert len(fake.requests) == 2 and text.startswith("echo: ")
    spans = fetch_trace(seen["trace_id"]).data.spans
    [call] = [s for s in spans if s.span_type == "CHAIN"]
    first, second = sorted(
        (s for s in spans if s.span_type == "LLM"), key=lambda s: s.start_time_ns
    )
    assert first.parent_id == call.span_id and second.parent_id == call.span_id
    assert first.outputs["function_calls"][0]["name"] == "get_weather"
    assert second.outputs["content"] == text
    assert first.cost > 0 and second.cost > 0 and not call.cost
