"""The model requests inside one ``generate_content`` call.

One public call may send several requests: automatic function calling (the client
runs the Python functions given as tools and asks the model again) and automatic
continuation. Each request has its own usage — the response the user gets reports
only the last one's — and Gemini Pro's price tier depends on each request's own
prompt size, so an exact cost needs every request's counts. The client's per-request
methods (``Models._generate_content`` and ``_generate_content_stream``) are wrapped
to record each request's times and response while one of our public-call spans is
open (`CALL`); outside one they pass straight through. If a client version lacks
them, the call's span is priced from the final response alone.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from typing import Any

from ...errors import log_internal_error
from .response import Accumulator


class Hop:
    """One request: when it ran, what it was sent, what came back."""

    __slots__ = ("acc", "end_ns", "error", "kwargs", "start_ns")

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs
        self.start_ns = time.time_ns()
        self.end_ns = 0
        self.acc = Accumulator()
        self.error: BaseException | None = None

    def add(self, response: Any) -> None:
        try:
            self.acc.add(response)
        except Exception:
            log_internal_error("reading a Gemini response")

    def end(self, error: BaseException | None = None) -> None:
        if not self.end_ns:
            self.end_ns = time.time_ns()
            self.error = error


class Call:
    """The requests of one public call, in order."""

    __slots__ = ("hops",)

    def __init__(self) -> None:
        self.hops: list[Hop] = []

    def begin(self, kwargs: dict[str, Any]) -> Hop:
        hop = Hop(dict(kwargs))
        self.hops.append(hop)
        return hop


CALL: ContextVar[Call | None] = ContextVar("spanwise_gemini_call", default=None)

Wrapped = Callable[..., Any]


def request_sync(wrapped: Wrapped, instance: Any, args: Any, kwargs: Any) -> Any:
    call = CALL.get()
    if call is None:
        return wrapped(*args, **kwargs)
    hop = call.begin(kwargs)
    try:
        response = wrapped(*args, **kwargs)
    except BaseException as exc:
        hop.end(exc)
        raise
    hop.end()
    hop.add(response)
    return response


async def request_async(wrapped: Wrapped, instance: Any, args: Any, kwargs: Any) -> Any:
    call = CALL.get()
    if call is None:
        return await wrapped(*args, **kwargs)
    hop = call.begin(kwargs)
    try:
        response = await wrapped(*args, **kwargs)
    except BaseException as exc:
        hop.end(exc)
        raise
    hop.end()
    hop.add(response)
    return response


def _chunks(chunks: Iterator[Any], hop: Hop) -> Iterator[Any]:
    try:
        for chunk in chunks:
            hop.add(chunk)
            yield chunk
    except GeneratorExit:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        raise
    except BaseException as exc:
        hop.end(exc)
        raise
    finally:
        hop.end()


async def _achunks(chunks: AsyncIterator[Any], hop: Hop) -> AsyncIterator[Any]:
    try:
        async for chunk in chunks:
            hop.add(chunk)
            yield chunk
    except GeneratorExit:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
        raise
    except BaseException as exc:
        hop.end(exc)
        raise
    finally:
        hop.end()


def stream_request_sync(wrapped: Wrapped, instance: Any, args: Any, kwargs: Any) -> Any:
    call = CALL.get()
    if call is None:
        return wrapped(*args, **kwargs)
    chunks = wrapped(*args, **kwargs)
    return _chunks(chunks, call.begin(kwargs))


async def stream_request_async(wrapped: Wrapped, instance: Any, args: Any, kwargs: Any) -> Any:
    call = CALL.get()
    if call is None:
        return await wrapped(*args, **kwargs)
    hop = call.begin(kwargs)
    try:
        chunks = await wrapped(*args, **kwargs)
    except BaseException as exc:
        hop.end(exc)
        raise
    return _achunks(chunks, hop)
