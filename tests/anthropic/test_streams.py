"""Streamed Anthropic calls: ``create(stream=True)`` and the ``.stream()`` helper end
their span exactly once, with the assembled message, usage and cost."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import anthropic
import pytest

from tests.anthropic.conftest import MODEL, WEATHER_TOOL, user

# "echo: stream me please" = 4 output words; 3 prompt words (no cache) -> 3 × $1 + 4 × $5
STREAM_COST = Decimal("0.000023")


def _text(events) -> str:
    return "".join(
        e.delta.text
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )


def test_sync_stream(claude, traced):
    def consume():
        stream = claude.messages.create(
            model=MODEL, max_tokens=64, messages=user("stream me please"), stream=True
        )
        return list(stream)

    events, root, [span] = traced(consume)
    assert _text(events) == "echo: stream me please"
    assert span.parent_id == root.span_id and span.status == "OK"
    assert span.outputs == {
        "role": "assistant",
        "content": [{"type": "text", "text": "echo: stream me please"}],
    }
    a = span.attributes
    assert a["gen_ai.request.stream"] == "true"
    assert a["gen_ai.response.id"] == events[0].message.id
    assert json.loads(a["gen_ai.response.finish_reasons"]) == ["end_turn"]
    ttft = float(a["gen_ai.server.time_to_first_token"])
    assert ttft >= 0 and span.start_time_ns + ttft * 1e9 <= span.end_time_ns + 1e6
    assert (span.input_tokens, span.output_tokens) == (3, 4)
    assert span.cost == STREAM_COST


def test_stream_looped_over_directly(claude, traced):
    """A ``for`` over ``create(stream=True)`` itself holds only the iterator."""

    def consume():
        events = []
        for event in claude.messages.create(
            model=MODEL, max_tokens=64, messages=user("stream me please"), stream=True
        ):
            events.append(event)
        return events

    events, _, [span] = traced(consume)
    assert _text(events) == "echo: stream me please"
    assert span.outputs["content"] == [{"type": "text", "text": "echo: stream me please"}]
    assert (span.input_tokens, span.output_tokens) == (3, 4)
    assert span.cost == STREAM_COST


def test_async_stream(aclaude, traced):
    async def consume():
        stream = await aclaude.messages.create(
            model=MODEL, max_tokens=64, messages=user("stream me please"), stream=True
        )
        return [e async for e in stream]

    _, root, [span] = traced(lambda: asyncio.run(consume()))
    assert span.parent_id == root.span_id
    assert span.outputs["content"] == [{"type": "text", "text": "echo: stream me please"}]
    assert span.cost == STREAM_COST


def test_streamed_tool_use_is_assembled(claude, traced):
    def consume():
        return list(
            claude.messages.create(
                model=MODEL, max_tokens=64, messages=user("weather?"), tools=[WEATHER_TOOL],
                stream=True,
            )
        )  # fmt: skip

    events, _, [span] = traced(consume)
    start = next(e for e in events if e.type == "content_block_start")
    assert span.outputs["content"] == [
        {
            "type": "tool_use",
            "id": start.content_block.id,
            "name": "get_weather",
            "input": {"city": "text"},
        }
    ]
    assert json.loads(span.attributes["gen_ai.response.finish_reasons"]) == ["tool_use"]


def test_a_stream_left_early_ends_its_span_with_what_arrived(claude, fake, traced):
    def consume():
        stream = claude.messages.create(
            model=MODEL, max_tokens=64, messages=user("one two three four"), stream=True
        )
        seen = []
        for event in stream:
            seen.append(event)
            if event.type == "content_block_delta":
                break
        stream.close()
        return seen

    seen, _, [span] = traced(consume)
    assert span.status == "OK"
    assert span.outputs["content"] == [{"type": "text", "text": seen[-1].delta.text}]
    assert "gen_ai.response.finish_reasons" not in span.attributes
    assert span.input_tokens == 4  # from message_start


def test_stream_helper(claude, traced):
    def consume():
        with claude.messages.stream(
            model=MODEL, max_tokens=64, messages=user("helper stream")
        ) as stream:
            text = "".join(stream.text_stream)
            return text, stream.get_final_message()

    (text, final), root, [span] = traced(consume)
    assert text == "echo: helper stream"
    assert span.name == f"chat {MODEL}" and span.parent_id == root.span_id
    assert span.attributes["gen_ai.request.stream"] == "true"
    assert span.attributes["gen_ai.response.id"] == final.id
    assert span.inputs == {"messages": user("helper stream")}
    assert span.outputs["content"] == [{"type": "text", "text": "echo: helper stream"}]
    assert (span.input_tokens, span.output_tokens) == (2, 3)


def test_async_stream_helper_with_a_tool(aclaude, traced):
    async def consume():
        async with aclaude.messages.stream(
            model=MODEL, max_tokens=64, messages=user("weather?"), tools=[WEATHER_TOOL]
        ) as stream:
            return await stream.get_final_message()

    final, _, [span] = traced(lambda: asyncio.run(consume()))
    [block] = final.content
    assert span.outputs["content"] == [
        {"type": "tool_use", "id": block.id, "name": "get_weather", "input": {"city": "text"}}
    ]


def test_a_stream_helper_refused_by_the_api_records_the_error(claude, traced):
    def consume():
        with (
            pytest.raises(anthropic.RateLimitError),
            claude.messages.stream(
                model="claude-error-429", max_tokens=8, messages=user()
            ) as stream,
        ):
            list(stream)

    _, _, [span] = traced(consume)
    assert span.status == "ERROR" and span.attributes["error.type"] == "RateLimitError"


def test_a_stream_helper_left_by_an_exception_or_a_closed_generator(claude, traced):
    class Mine(Exception):
        pass

    def raise_inside():
        try:
            with claude.messages.stream(model=MODEL, max_tokens=50, messages=user("x")) as s:
                next(iter(s))
                raise Mine("from the loop")
        except Mine as exc:
            return exc

    exc, _, [span] = traced(raise_inside)
    assert (
        type(exc) is Mine
        and span.status == "ERROR"
        and span.attributes["error.type"].endswith("Mine")
    )

    def events():
        with claude.messages.stream(model=MODEL, max_tokens=50, messages=user("y")) as s:
            yield from s

    def close_early():
        gen = events()
        next(gen)
        gen.close()

    _, _, [span] = traced(close_early)
    assert span.status == "OK" and "error.type" not in span.attributes
