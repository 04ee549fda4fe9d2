"""Streamed chat completions: the span ends exactly once, with the assembled output."""

from __future__ import annotations

import asyncio
import gc
import json

import pytest

from tests.openai.conftest import MODEL, messages
from tests.openai.test_chat import WEATHER_TOOL


def _usage_option(with_usage: bool) -> dict:
    return {"stream_options": {"include_usage": True}} if with_usage else {}


@pytest.mark.parametrize("with_usage", [True, False])
def test_sync_stream(oai, traced, with_usage):
    def consume():
        stream = oai.chat.completions.create(
            model=MODEL, messages=messages("stream me please"), stream=True,
            **_usage_option(with_usage),
        )  # fmt: skip
        chunks = list(stream)
        return chunks

    chunks, root, [span] = traced(consume)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: stream me please"
    assert span.parent_id == root.span_id and span.status == "OK"
    assert span.outputs == {"role": "assistant", "content": text}
    a = span.attributes
    assert a["gen_ai.request.stream"] == "true"
    assert a["gen_ai.response.id"] == chunks[0].id
    assert json.loads(a["gen_ai.response.finish_reasons"]) == ["stop"]
    assert float(a["gen_ai.server.time_to_first_token"]) >= 0
    assert span.start_time_ns + float(a["gen_ai.server.time_to_first_token"]) * 1e9 <= (
        span.end_time_ns + 1e6
    )
    if with_usage:
        usage = chunks[-1].usage
        assert span.input_tokens == usage.prompt_tokens > 0
        assert span.output_tokens == usage.completion_tokens
        assert span.cached_tokens == usage.prompt_tokens_details.cached_tokens
    else:
        assert not span.input_tokens and not span.output_tokens


def test_stream_looped_over_directly_keeps_its_span_open_to_the_end(oai, traced):
    """``for chunk in create(..., stream=True)``: the loop holds only the iterator, not the
    stream we handed out; the span must still take every chunk and end after the last."""

    def consume():
        got = []
        for chunk in oai.chat.completions.create(
            model=MODEL, messages=messages("loop me directly"), stream=True,
            stream_options={"include_usage": True},
        ):  # fmt: skip
            got.append(chunk)
        return got, "".join(
            c.choices[0].delta.content or ""
            for c in oai.chat.completions.create(
                model=MODEL, messages=messages("and in a generator"), stream=True
            )
            if c.choices
        )

    (chunks, joined), _, spans = traced(consume)
    loop, gen = sorted(spans, key=lambda s: s.start_time_ns)
    assert loop.outputs == {"role": "assistant", "content": "echo: loop me directly"}
    assert loop.input_tokens == chunks[-1].usage.prompt_tokens > 0
    assert loop.output_tokens == chunks[-1].usage.completion_tokens > 0
    assert loop.cost > 0
    assert float(loop.attributes["gen_ai.server.time_to_first_token"]) >= 0
    assert joined == "echo: and in a generator"
    assert gen.outputs == {"role": "assistant", "content": joined}
    assert gen.start_time_ns >= loop.end_time_ns


@pytest.mark.parametrize("with_usage", [True, False])
def test_async_stream(aoai, traced, with_usage):
    async def consume():
        stream = await aoai.chat.completions.create(
            model=MODEL, messages=messages("async stream"), stream=True,
            **_usage_option(with_usage),
        )  # fmt: skip
        return [c async for c in stream]

    _, root, [span] = traced(lambda: asyncio.run(consume()))
    assert span.parent_id == root.span_id
    assert span.outputs == {"role": "assistant", "content": "echo: async stream"}
    assert "gen_ai.server.time_to_first_token" in span.attributes
    assert bool(span.input_tokens) == with_usage


def test_streamed_tool_call_is_assembled(oai, traced):
    def consume():
        stream = oai.chat.completions.create(
            model=MODEL, messages=messages("weather?"), tools=[WEATHER_TOOL], stream=True
        )
        return list(stream)

    chunks, _, [span] = traced(consume)
    args = "".join(
        c.choices[0].delta.tool_calls[0].function.arguments or ""
        for c in chunks
        if c.choices and c.choices[0].delta.tool_calls
    )
    [call] = span.outputs["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": args}
    assert call["id"] == chunks[0].choices[0].delta.tool_calls[0].id
    assert json.loads(span.attributes["gen_ai.response.finish_reasons"]) == ["tool_calls"]


def test_stream_closed_half_way_ends_its_span(oai, traced):
    def consume():
        stream = oai.chat.completions.create(
            model=MODEL, messages=messages("one two three four"), stream=True,
            extra_headers={"x-fake-chunks": "6"},
        )  # fmt: skip
        first = [next(stream), next(stream), next(stream)]  # role chunk + 2 pieces
        stream.close()
        stream.close()  # a second close changes nothing
        return first

    first, root, [span] = traced(consume)
    partial = "".join(c.choices[0].delta.content or "" for c in first)
    assert span.outputs == {"role": "assistant", "content": partial}
    assert 0 < len(partial) < len("echo: one two three four")
    assert span.status == "OK" and span.end_time_ns <= root.end_time_ns


def test_stream_garbage_collected_half_way_ends_its_span(oai, traced):
    def consume():
        stream = oai.chat.completions.create(
            model=MODEL, messages=messages("abandon me"), stream=True
        )
        for _ in stream:
            break  # abandoned: never exhausted nor closed
        del stream
        gc.collect()

    _, root, [span] = traced(consume)
    assert span.end_time_ns <= root.end_time_ns  # ended when collected, inside the parent
    assert span.outputs == {"role": "assistant", "content": None}


def test_stream_used_as_context_manager(oai, traced):
    def consume():
        with oai.chat.completions.create(model=MODEL, messages=messages(), stream=True) as stream:
            return next(stream).id

    rid, _, [span] = traced(consume)
    assert span.attributes["gen_ai.response.id"] == rid


def test_stream_helper(oai, traced):
    def consume():
        with oai.chat.completions.stream(
            model=MODEL, messages=messages("helper"), stream_options={"include_usage": True}
        ) as stream:
            for _ in stream:
                pass
            return stream.get_final_completion()

    final, _, [span] = traced(consume)
    assert span.name == f"chat {MODEL}"
    assert span.outputs["content"] == final.choices[0].message.content == "echo: helper"
    assert span.input_tokens == final.usage.prompt_tokens
    assert span.attributes["gen_ai.request.stream"] == "true"
    assert "gen_ai.request.temperature" not in span.attributes  # omitted params stay out


def test_stream_helper_left_early_ends_the_span_on_exit(oai, traced):
    def consume():
        with oai.chat.completions.stream(model=MODEL, messages=messages("leave early")) as s:
            next(iter(s))
            kept = s  # still referenced after the block: only the exit can end the span
        return kept

    kept, root, [span] = traced(consume)
    assert kept is not None
    assert span.end_time_ns <= root.end_time_ns


def test_async_stream_helper(aoai, traced):
    async def consume():
        async with aoai.chat.completions.stream(model=MODEL, messages=messages("ahelp")) as s:
            async for _ in s:
                pass
            return await s.get_final_completion()

    final, _, [span] = traced(lambda: asyncio.run(consume()))
    assert span.outputs["content"] == final.choices[0].message.content == "echo: ahelp"


def test_stream_broken_mid_way_ends_its_span_as_error(oai, traced):
    caught = {}

    def consume():
        stream = oai.chat.completions.create(
            model=MODEL, messages=messages("cut me off"), stream=True,
            extra_headers={"x-fake-abort-after": "3"},
        )  # fmt: skip
        got = []
        try:
            for chunk in stream:
                got.append(chunk)
        except Exception as exc:  # whatever the client raises reaches the caller
            caught["exc"] = exc
        return got

    got, _, [span] = traced(consume)
    assert len(got) == 3 and "exc" in caught
    assert span.status == "ERROR"
    assert span.attributes["error.type"] == type(caught["exc"]).__qualname__
    partial = "".join(c.choices[0].delta.content or "" for c in got)
    assert span.outputs == {"role": "assistant", "content": partial}


def test_stream_resumed_after_leaving_a_loop_records_every_chunk(oai, traced):
    def consume():
        stream = oai.chat.completions.create(
            model=MODEL, messages=messages("one two three"), stream=True
        )
        got = []
        for chunk in stream:
            got.append(chunk)
            if len(got) == 2:
                break  # left early, then resumed: the span must not end here
        got.append(next(stream))
        got.extend(stream)
        return got

    got, _, [span] = traced(consume)
    assert span.outputs["content"] == "".join(c.choices[0].delta.content or "" for c in got)
    assert span.outputs["content"] == "echo: one two three"
    assert span.status != "ERROR"


def test_async_stream_garbage_collected_half_way_ends_its_span(aoai, traced):
    async def consume():
        stream = await aoai.chat.completions.create(
            model=MODEL, messages=messages("abandon async"), stream=True
        )
        async for _ in stream:
            break
        del stream
        gc.collect()

    _, root, [span] = traced(lambda: asyncio.run(consume()))
    assert span.end_time_ns <= root.end_time_ns


class _Mine(Exception):
    pass


def _raise_in_the_block(open_stream):
    """Raise the caller's own exception from inside the stream's ``with`` block, after
    the first chunk; returns the exception as it reached the caller."""
    try:
        with open_stream() as stream:
            next(iter(stream))
            raise _Mine("from the loop")
    except _Mine as exc:
        return exc


@pytest.mark.parametrize("helper", [False, True], ids=["create", "helper"])
def test_an_exception_leaving_the_with_block_ends_the_span_as_error(oai, traced, helper):
    def open_stream():
        if helper:
            return oai.chat.completions.stream(model=MODEL, messages=messages("cut by me"))
        return oai.chat.completions.create(model=MODEL, messages=messages("cut by me"), stream=True)

    exc, _, [span] = traced(_raise_in_the_block, open_stream)
    assert type(exc) is _Mine and str(exc) == "from the loop"  # reaches the caller unchanged
    assert span.status == "ERROR" and span.attributes["error.type"] == "_Mine"


def test_an_exception_leaving_the_async_with_block_ends_the_span_as_error(aoai, traced):
    async def consume():
        try:
            stream = await aoai.chat.completions.create(
                model=MODEL, messages=messages("async cut"), stream=True
            )
            async with stream:
                await stream.__anext__()
                raise _Mine("from the async loop")
        except _Mine as exc:
            return exc

    exc, _, [span] = traced(lambda: asyncio.run(consume()))
    assert type(exc) is _Mine
    assert span.status == "ERROR" and span.attributes["error.type"] == "_Mine"


@pytest.mark.parametrize("helper", [False, True], ids=["create", "helper"])
def test_a_generator_around_the_with_block_closed_early_ends_the_span_ok(oai, traced, helper):
    def open_stream():
        if helper:
            return oai.chat.completions.stream(model=MODEL, messages=messages("gen closed"))
        return oai.chat.completions.create(
            model=MODEL, messages=messages("gen closed"), stream=True
        )

    def chunks():
        with open_stream() as stream:
            yield from stream

    def consume():
        gen = chunks()
        next(gen)
        gen.close()  # GeneratorExit through the block: a way out like ``break``

    _, _, [span] = traced(consume)
    assert span.status == "OK" and "error.type" not in span.attributes
