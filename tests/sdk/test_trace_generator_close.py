"""A traced generator closed early: its cleanup belongs to its span, through the collector."""

from __future__ import annotations

import asyncio

import pytest
import spanwise


def test_cleanup_of_a_closed_generator_runs_in_its_span(sdk, fetch_trace):
    seen = {}

    @spanwise.trace
    def release(what: str) -> None:
        seen["release"] = spanwise.get_current_trace_id()

    @spanwise.trace
    def rows():
        seen["trace_id"] = spanwise.get_current_trace_id()
        try:
            yield from range(10)
        finally:
            release("cursor")

    gen = rows()
    assert next(gen) == 0
    gen.close()
    assert seen["release"] == seen["trace_id"]  # one trace, not a second one for the cleanup
    spans = {s.name: s for s in fetch_trace(seen["trace_id"]).data.spans}
    gen_span = spans["test_cleanup_of_a_closed_generator_runs_in_its_span.<locals>.rows"]
    cleanup = spans["test_cleanup_of_a_closed_generator_runs_in_its_span.<locals>.release"]
    assert cleanup.parent_id == gen_span.span_id
    assert gen_span.outputs == [0] and gen_span.status == "OK"


def test_a_generator_whose_cleanup_raises_on_close_is_recorded(sdk, fetch_trace):
    seen = {}

    @spanwise.trace
    def rows():
        seen["trace_id"] = spanwise.get_current_trace_id()
        try:
            yield 1
            yield 2
        finally:
            raise OSError("connection lost while closing")

    gen = rows()
    next(gen)
    with pytest.raises(OSError, match="connection lost while closing"):
        gen.close()
    (span,) = fetch_trace(seen["trace_id"]).data.spans  # the span was never ended before
    assert span.status == "ERROR" and "OSError: connection lost" in span.status_message
    assert span.events[0].attributes["exception.type"] == "OSError"


def test_a_generator_that_ignores_close_is_recorded(sdk, fetch_trace):
    seen = {}

    @spanwise.trace
    def stubborn():
        seen["trace_id"] = spanwise.get_current_trace_id()
        try:
            yield 1
        finally:
            yield 2  # Python turns this into RuntimeError at close()

    gen = stubborn()
    next(gen)
    with pytest.raises(RuntimeError, match="ignored GeneratorExit"):
        gen.close()
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    assert span.status == "ERROR" and "RuntimeError" in span.status_message


def test_async_generator_closed_early_cleanup_in_span_and_its_error_recorded(sdk, fetch_trace):
    seen = {}

    @spanwise.trace
    async def release() -> None:
        seen["release"] = spanwise.get_current_trace_id()

    @spanwise.trace
    async def tokens():
        seen["trace_id"] = spanwise.get_current_trace_id()
        try:
            yield "a"
            yield "b"
        finally:
            await release()
            raise OSError("stream reset")

    async def consume() -> None:
        agen = tokens()
        assert await agen.__anext__() == "a"
        with pytest.raises(OSError, match="stream reset"):
            await agen.aclose()

    asyncio.run(consume())
    assert seen["release"] == seen["trace_id"]
    spans = fetch_trace(seen["trace_id"]).data.spans
    gen_span = next(s for s in spans if s.name.endswith("tokens"))
    cleanup = next(s for s in spans if s.name.endswith("release"))
    assert cleanup.parent_id == gen_span.span_id
    assert gen_span.status == "ERROR" and "OSError: stream reset" in gen_span.status_message


def test_a_start_span_block_in_a_generator_closed_early_ends_ok(sdk, fetch_trace):
    """The consumer stopped (a break, close()): as a traced generator's span, the block's
    span is no failure — it read ERROR 'GeneratorExit'."""
    seen = {}

    def pages():
        with spanwise.start_span("paging") as span:
            seen["trace_id"] = span.trace_id
            yield from range(10)

    for page in pages():
        if page == 1:
            break
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    assert span.status == "OK" and span.events == ()


def test_a_generator_whose_outputs_are_not_recorded_keeps_none_of_its_items(sdk, fetch_trace):
    """A long stream (a file's lines) traced with capture_outputs=False held every item
    it had yielded until its end, for nothing: hundreds of MB for a big file."""
    import gc
    import weakref

    class Chunk:
        pass

    made, seen = [], {}

    @spanwise.trace(capture_outputs=False)
    def chunks():
        seen["trace_id"] = spanwise.get_current_trace_id()
        for _ in range(3):
            chunk = Chunk()
            made.append(weakref.ref(chunk))
            yield chunk

    gen = chunks()
    next(gen)
    next(gen)  # the consumer let go of the first chunk
    gc.collect()
    assert made[0]() is None
    assert len(list(gen)) == 1
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    assert span.status == "OK" and span.outputs is None
