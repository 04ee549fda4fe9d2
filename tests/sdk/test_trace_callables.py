"""@spanwise.trace on callables that are not plain functions, and misuse of its arguments."""

from __future__ import annotations

import asyncio
import functools
import inspect

import pytest
import spanwise


def scale(x: float, factor: float = 1.0) -> float:
    return x * factor


class Retriever:
    """A callable object, e.g. a tool or a retriever class with ``__call__``."""

    def __call__(self, query: str) -> list[str]:
        return [query.upper()]


class AsyncRetriever:
    async def __call__(self, query: str) -> list[str]:
        await asyncio.sleep(0)
        return [query]


def test_partials_and_callable_objects_are_named_after_what_they_call(sdk, fetch_trace):
    seen = {}
    double = spanwise.trace(functools.partial(scale, factor=2.0))
    retrieve = spanwise.trace(Retriever())

    @spanwise.trace
    def agent():
        seen["trace_id"] = spanwise.get_current_trace_id()
        return double(3.0), retrieve("q")

    assert agent() == (6.0, ["Q"])
    spans = {s.name: s for s in fetch_trace(seen["trace_id"]).data.spans}
    # Their reprs ('functools.partial(<function scale at 0x7f…>, …)') named them before:
    # a different span name in every process.
    assert set(spans) == {"test_partials_and_callable_objects_are_named_after_what_they_call"
                          ".<locals>.agent", "scale", "Retriever"}  # fmt: skip
    assert spans["scale"].inputs == {"x": 3.0, "factor": 2.0} and spans["scale"].outputs == 6.0
    assert spans["Retriever"].inputs == {"query": "q"} and spans["Retriever"].outputs == ["Q"]
    assert spans["scale"].attributes["code.function.name"] == "scale"


def test_an_async_callable_object_gets_an_async_span(sdk, fetch_trace):
    seen = {}
    retrieve = spanwise.trace(AsyncRetriever())
    assert inspect.iscoroutinefunction(retrieve)

    @spanwise.trace
    async def agent():
        seen["trace_id"] = spanwise.get_current_trace_id()
        return await retrieve("q")

    assert asyncio.run(agent()) == ["q"]
    span = next(s for s in fetch_trace(seen["trace_id"]).data.spans if s.name == "AsyncRetriever")
    assert span.outputs == ["q"]  # was the coroutine object's repr, the span ended before it ran


def test_a_name_given_the_wrong_way_is_a_clear_error(sdk):
    with pytest.raises(TypeError, match=r"trace\(name='my-span'\)"):

        @spanwise.trace("my-span")  # as if it were the name
        def f(): ...

    with pytest.raises(TypeError, match="takes a str"):

        @spanwise.trace(name=42)
        def g(): ...

    with pytest.raises(TypeError, match="takes a str name"), spanwise.start_span(42):
        pass


def test_a_name_that_is_no_str_never_reaches_the_export(sdk, fetch_trace):
    """Such a span failed the encoding of its whole export batch: the good spans sent with
    it were lost, reported as a collector outage."""
    seen = {}

    @spanwise.trace(name="kept")
    def kept():
        seen["trace_id"] = spanwise.get_current_trace_id()

    with pytest.raises(TypeError), spanwise.start_span(42):
        pass
    kept()
    assert [s.name for s in fetch_trace(seen["trace_id"]).data.spans] == ["kept"]


def test_a_callable_marked_as_a_coroutine_function_keeps_its_async_span(sdk, fetch_trace):
    """An AsyncMock (a test double of an async client) says it is a coroutine function
    without an async ``__call__``: it must get the async wrapper, as before."""
    from unittest.mock import AsyncMock

    seen = {}
    fetch = spanwise.trace(AsyncMock(return_value=["doc"]))
    assert inspect.iscoroutinefunction(fetch)

    @spanwise.trace
    async def agent():
        seen["trace_id"] = spanwise.get_current_trace_id()
        return await fetch("q")

    assert asyncio.run(agent()) == ["doc"]
    span = next(s for s in fetch_trace(seen["trace_id"]).data.spans if s.name == "AsyncMock")
    assert span.outputs == ["doc"]
