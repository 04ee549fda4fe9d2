"""Streams: a proxy around a client's ``Stream``/``AsyncStream`` that ends the span
exactly once — on exhaustion, ``close()``, an error, leaving a ``with`` block, or
garbage collection of an abandoned stream — and proxies for the ``.stream()``
helpers' managers, which close the underlying response without going through
the stream object we handed out.

Only public methods of the wrapped objects are used.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import wrapt
from opentelemetry.trace import Span, Status, StatusCode

from ... import attributes as attrs
from ...errors import log_internal_error
from ...provider import STATE
from ...spans import capture, record_error
from .settings import Current

# While a ``.stream()`` helper's manager is being entered, the recorders of the
# streams opened inside it are collected here so that its exit can end them.
_HELPER_RECORDERS: ContextVar[list[StreamRecorder] | None] = ContextVar(
    "spanwise_llm_helper_recorders", default=None
)


def in_stream_helper() -> bool:
    """Whether a ``.stream()`` helper's manager is being entered here."""
    return _HELPER_RECORDERS.get() is not None


def block_error(exc: BaseException | None) -> BaseException | None:
    """The exception that left a stream's ``with`` block, as the span's error: it cut
    the stream short. ``GeneratorExit`` is a generator around the block closed early,
    a way out like ``break``, not a failure."""
    return None if isinstance(exc, GeneratorExit) else exc


def put_output(out: dict[str, Any], output: Any, current: Current) -> None:
    """The captured output into ``out`` when the integration's output capture is on.
    A failing redact hook costs the output only, not the span's other attributes."""
    options = current.options
    if options is None or not options.log_outputs or not STATE.settings.capture_outputs:
        return
    try:
        out[attrs.OUTPUTS] = capture(output)
    except Exception:
        log_internal_error("capturing LLM call outputs")


def end_with_response(
    span: Span, read: Callable[[Any, dict[str, Any]], Any], response: Any, current: Current
) -> None:
    """A whole (not streamed) response on the span (``read`` puts its attributes and
    returns the output to capture), then the span's end, whatever fails."""
    try:
        out: dict[str, Any] = {}
        put_output(out, read(response, out), current)
        span.set_attributes(out)
    except Exception:
        log_internal_error("recording an LLM response")
    finally:
        span.end()


def wrap_stream(
    span: Span,
    acc: Callable[[], Any],
    stream: Any,
    proxy: type,
    current: Current,
    hide_usage: bool = False,
) -> Any:
    """``stream`` in ``proxy`` with a recorder that ends the span; the stream itself (and
    the span ended) if that fails. ``hide_usage``: the stream's usage-only chunk was
    asked for by us, not the caller, who does not see it."""
    try:
        return proxy(stream, StreamRecorder(span, acc(), current, hide_usage))
    except Exception:
        span.end()
        log_internal_error("wrapping an LLM stream")
        return stream


def settle(
    span: Span,
    op: Any,
    result: Any,
    stream_type: type,
    proxy: type,
    current: Current,
    hide_usage: bool = False,
) -> Any:
    """What the caller gets for ``result`` of operation ``op``: a stream wrapped so that it
    ends the span, or the result itself with the span ended on it."""
    if not span.is_recording():
        span.end()
        return result
    if op.accumulator is not None and isinstance(result, stream_type):
        return wrap_stream(span, op.accumulator, result, proxy, current, hide_usage)
    end_with_response(span, op.response, result, current)
    return result


def usage_only(chunk: Any) -> bool:
    """A chat stream's last chunk under ``stream_options.include_usage``: usage, no choices."""
    return getattr(chunk, "usage", None) is not None and not getattr(chunk, "choices", True)


def tap_each(acc: Any, items: Iterable[Any], recorder: StreamRecorder, owner: Any) -> Iterator[Any]:
    """The user's loop over a stream: each item to ``acc.add``, then to the user; the
    span ends when the items run out or the stream raises. A generator, as the
    clients' own ``Stream.__iter__``: cheaper per item than ``__next__`` on a proxy.
    ``owner`` (see `SyncStreamProxy.__iter__`) is only held."""
    add = acc.add
    try:
        for item in items:
            try:
                if add(item) and not recorder.first_token_ns:
                    recorder.first_token_ns = time.time_ns()
            except Exception:
                log_internal_error("reading an LLM stream chunk")
            yield item
    except GeneratorExit:
        raise  # the loop was left early: close(), exit or collection ends the span
    except BaseException as exc:
        recorder.finish(exc)
        raise
    recorder.finish()


class StreamRecorder:
    """The span of one streamed call and what its chunks said so far."""

    __slots__ = ("acc", "current", "done", "first_token_ns", "hide_usage", "span")

    def __init__(self, span: Span, acc: Any, current: Current, hide_usage: bool = False) -> None:
        self.span = span
        self.acc = acc
        self.current = current
        self.first_token_ns = 0
        self.done = False
        self.hide_usage = hide_usage  # a usage-only chunk we asked for: not the caller's
        helper = _HELPER_RECORDERS.get()
        if helper is not None:
            helper.append(self)

    def add(self, item: Any) -> None:
        try:
            if self.acc.add(item) and not self.first_token_ns:
                self.first_token_ns = time.time_ns()
        except Exception:
            log_internal_error("reading an LLM stream chunk")

    def finish(self, exc: BaseException | None = None) -> None:
        # No lock: the consumer and the garbage collector never race (GC only
        # runs once nothing references the stream), and a second call is a no-op.
        if self.done:
            return
        self.done = True
        span = self.span
        try:
            out: dict[str, Any] = {}
            output = self.acc.finish(out)
            if self.first_token_ns:
                start = getattr(span, "start_time", None)
                if start:
                    out[attrs.GEN_AI_SERVER_TIME_TO_FIRST_TOKEN] = (
                        self.first_token_ns - start
                    ) / 1e9
            if output is not None:
                put_output(out, output, self.current)
            if exc is not None:
                out[attrs.ERROR_TYPE] = type(exc).__qualname__
            span.set_attributes(out)
            if exc is not None:
                record_error(span, exc)
            elif attrs.ERROR_TYPE in out:
                span.set_status(Status(StatusCode.ERROR, str(out[attrs.ERROR_TYPE])))
        except Exception:
            log_internal_error("ending an LLM stream span")
        finally:
            span.end()


class _RecordingProxy(wrapt.ObjectProxy):
    """A stream proxy with its recorder; a stream dropped unfinished ends its span."""

    def __init__(self, stream: Any, recorder: StreamRecorder) -> None:
        wrapt.ObjectProxy.__init__(self, stream)  # not super(): one object less per call
        self._self_recorder = recorder

    def __del__(self) -> None:
        try:
            recorder = self._self_recorder
        except AttributeError:  # __init__ never completed
            return
        recorder.finish()


class SyncStreamProxy(_RecordingProxy):
    """Behaves as the wrapped client's sync ``Stream``; feeds each chunk to the recorder."""

    def __iter__(self) -> Iterator[Any]:
        # The generator holds this proxy (``owner``) until the loop ends: a ``for``
        # over ``create(..., stream=True)`` itself keeps only the iterator, and the
        # proxy's ``__del__`` would end the span before the first chunk.
        recorder = self._self_recorder
        return recorder.acc.tap(self.__wrapped__, recorder, self)  # type: ignore[no-any-return]

    def __next__(self) -> Any:
        recorder = self._self_recorder
        while True:
            try:
                item = self.__wrapped__.__next__()
            except StopIteration:
                recorder.finish()
                raise
            except BaseException as exc:
                recorder.finish(exc)
                raise
            recorder.add(item)
            if not (recorder.hide_usage and usage_only(item)):
                return item

    def __enter__(self) -> SyncStreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_recorder.finish(block_error(exc_info[1]))

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_recorder.finish()


class AsyncStreamProxy(_RecordingProxy):
    """Behaves as the wrapped client's ``AsyncStream``; feeds each chunk to the recorder."""

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        recorder = self._self_recorder
        while True:
            try:
                item = await self.__wrapped__.__anext__()
            except StopAsyncIteration:
                recorder.finish()
                raise
            except BaseException as exc:
                recorder.finish(exc)
                raise
            recorder.add(item)
            if not (recorder.hide_usage and usage_only(item)):
                return item

    async def __aenter__(self) -> AsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_recorder.finish(block_error(exc_info[1]))

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_recorder.finish()

    async def aclose(self) -> None:
        wrapped = self.__wrapped__
        try:
            await (wrapped.aclose() if hasattr(wrapped, "aclose") else wrapped.close())
        finally:
            self._self_recorder.finish()


def _finish_all(recorders: list[StreamRecorder], exc: BaseException | None) -> None:
    for recorder in recorders:
        recorder.finish(exc)


class _HelperProxy(wrapt.ObjectProxy):
    """A ``.stream(...)`` manager with the recorders of the streams it opens."""

    def __init__(self, manager: Any) -> None:
        super().__init__(manager)
        self._self_recorders: list[StreamRecorder] = []


class SyncHelperProxy(_HelperProxy):
    """The manager ``chat.completions.stream(...)`` returns; its exit ends the span."""

    def __enter__(self) -> Any:
        token = _HELPER_RECORDERS.set(self._self_recorders)
        try:
            return self.__wrapped__.__enter__()
        finally:
            _HELPER_RECORDERS.reset(token)

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            _finish_all(self._self_recorders, block_error(exc_info[1]))


class AsyncHelperProxy(_HelperProxy):
    """The async manager of ``.stream(...)``; its exit ends the span."""

    async def __aenter__(self) -> Any:
        token = _HELPER_RECORDERS.set(self._self_recorders)
        try:
            return await self.__wrapped__.__aenter__()
        finally:
            _HELPER_RECORDERS.reset(token)

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            _finish_all(self._self_recorders, block_error(exc_info[1]))
