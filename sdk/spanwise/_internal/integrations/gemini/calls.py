"""The wrappers of ``google-genai``'s public ``Models``/``AsyncModels`` methods.

``generate_content`` and ``generate_content_stream`` make one span per call. When the
call sent one model request (the usual case) that span is the LLM call, priced from
the response. When it sent several (automatic function calling, continuation; see
`hops`), the call's span becomes a CHAIN and each request an LLM child with its own
times, inputs, output and usage — the tool functions the client ran, when traced,
sit between them. Nothing failing in here reaches the caller.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.trace import Span, SpanKind

from ... import attributes as attrs
from ...errors import log_internal_error
from ...fastcontext import attach_span, detach
from ...lean import start_lean_span
from ...provider import STATE, get_tracer
from ...spans import capture, record_error
from ..llm_client.settings import Current
from ..llm_client.streams import put_output
from . import request
from .hops import CALL, Call, Hop
from .response import Accumulator, embed_attributes

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]
_CLIENT = SpanKind.CLIENT


class _Started:
    """A call's span and the request attributes it (or its requests' spans) will get."""

    __slots__ = ("name", "request", "span")

    def __init__(self, span: Span, name: str, request_attrs: dict[str, Any]) -> None:
        self.span = span
        self.name = name
        self.request = request_attrs


def _start(
    instance: Any, kwargs: dict[str, Any], current: Current, operation: str, span_type: str
) -> _Started | None:
    try:
        model = request.model_name(kwargs.get("model"))
        name = f"{operation} {model}" if model else operation
        found: dict[str, Any] = dict(request.provider_attributes(instance))
        if model:
            found[attrs.GEN_AI_REQUEST_MODEL] = model
        start: dict[str, Any] = {attrs.SPAN_TYPE: span_type, attrs.GEN_AI_OPERATION_NAME: operation}
        if operation == request.GENERATE:
            request.generate_request(kwargs, found)
        else:
            start.update(found)  # embeddings: one request, attributes known now
        options = current.options
        if options is not None and options.log_inputs and STATE.settings.capture_inputs:
            try:
                inputs = (
                    request.generate_inputs(kwargs)
                    if operation == request.GENERATE
                    else request.embed_inputs(kwargs)
                )
                start[attrs.INPUTS] = capture(inputs)
            except Exception:
                log_internal_error("capturing Gemini call inputs")
        return _Started(start_lean_span(name, start, _CLIENT), name, found)
    except Exception:
        log_internal_error("starting a Gemini call span")
        return None


def _request_span(started: _Started, hop: Hop, current: Current) -> None:
    """One request of a multi-request call, as an LLM child of the call's span."""
    attributes: dict[str, Any] = {
        attrs.SPAN_TYPE: attrs.SpanType.LLM,
        attrs.GEN_AI_OPERATION_NAME: request.GENERATE,
        **started.request,
    }
    options = current.options
    if options is not None and options.log_inputs and STATE.settings.capture_inputs:
        try:
            attributes[attrs.INPUTS] = capture(request.generate_inputs(hop.kwargs))
        except Exception:
            log_internal_error("capturing Gemini call inputs")
    put_output(attributes, hop.acc.finish(attributes), current)
    child = get_tracer().start_span(
        started.name,
        context=trace_api.set_span_in_context(started.span),
        kind=_CLIENT,
        attributes=attributes,
        start_time=hop.start_ns,
    )
    if hop.error is not None:
        record_error(child, hop.error)
    child.end(end_time=hop.end_ns or time.time_ns())


def _settle(
    started: _Started,
    call: Call,
    acc: Accumulator,
    current: Current,
    exc: BaseException | None = None,
    first_token_ns: int = 0,
) -> None:
    """End the call's span: the response on it, or on one child per request."""
    span = started.span
    try:
        if not span.is_recording():
            return
        out: dict[str, Any] = {}
        if len(call.hops) > 1:
            out[attrs.SPAN_TYPE] = attrs.SpanType.CHAIN
            for hop in call.hops:
                _request_span(started, hop, current)
            output = acc.finish({})  # the usage is the children's
        else:
            out.update(started.request)
            output = acc.finish(out)
            start = getattr(span, "start_time", None)
            if first_token_ns and start:
                out[attrs.GEN_AI_SERVER_TIME_TO_FIRST_TOKEN] = (first_token_ns - start) / 1e9
        if output is not None:
            put_output(out, output, current)
        if exc is not None:
            out[attrs.ERROR_TYPE] = type(exc).__qualname__
            code = getattr(exc, "code", None)
            if isinstance(code, int) and not isinstance(code, bool):
                out[attrs.HTTP_RESPONSE_STATUS_CODE] = code
        span.set_attributes(out)
        if exc is not None:
            record_error(span, exc)
    except Exception:
        log_internal_error("ending a Gemini call span")
    finally:
        span.end()


def _read(acc: Accumulator, response: Any) -> bool:
    try:
        return acc.add(response)
    except Exception:
        log_internal_error("reading a Gemini response")
        return False


def _answered(started: _Started, call: Call, response: Any, current: Current) -> None:
    acc = Accumulator()
    _read(acc, response)
    _settle(started, call, acc, current)


def generate_sync(current: Current) -> Wrapper:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if current.options is None:
            return wrapped(*args, **kwargs)
        started = _start(instance, kwargs, current, request.GENERATE, attrs.SpanType.LLM)
        if started is None:
            return wrapped(*args, **kwargs)
        call = Call()
        token, call_token = attach_span(started.span), CALL.set(call)
        try:
            response = wrapped(*args, **kwargs)
        except BaseException as exc:
            _settle(started, call, Accumulator(), current, exc)
            raise
        finally:
            CALL.reset(call_token)
            detach(token)
        _answered(started, call, response, current)
        return response

    return wrapper


def generate_async(current: Current) -> Wrapper:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if current.options is None:
            return await wrapped(*args, **kwargs)
        started = _start(instance, kwargs, current, request.GENERATE, attrs.SpanType.LLM)
        if started is None:
            return await wrapped(*args, **kwargs)
        call = Call()
        token, call_token = attach_span(started.span), CALL.set(call)
        try:
            response = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _settle(started, call, Accumulator(), current, exc)
            raise
        finally:
            CALL.reset(call_token)
            detach(token)
        _answered(started, call, response, current)
        return response

    return wrapper


class _Stream:
    """What a traced ``generate_content_stream`` returns: the client's chunks, read as
    they pass. The requests are sent while the user's loop runs, so the call's span is
    current (and its `Call` open) inside each step, not between them. The span ends
    once: at the last chunk, an error, ``close()``, or when the stream is dropped
    (even unstarted)."""

    __slots__ = ("_acc", "_call", "_chunks", "_current", "_done", "_first", "_started")

    def __init__(self, chunks: Any, started: _Started, current: Current) -> None:
        self._chunks = chunks
        self._started = started
        self._current = current
        self._call = Call()
        self._acc = Accumulator()
        self._first = 0
        self._done = False

    def _take(self, chunk: Any) -> None:
        if _read(self._acc, chunk) and not self._first:
            self._first = time.time_ns()

    def _end(self, exc: BaseException | None = None) -> None:
        if not self._done:
            self._done = True
            _settle(self._started, self._call, self._acc, self._current, exc, self._first)

    def __del__(self) -> None:
        try:
            self._end()
        except AttributeError:  # __init__ never completed
            pass


class _SyncStream(_Stream):
    __slots__ = ()

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        token, call_token = attach_span(self._started.span), CALL.set(self._call)
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._end()
            raise
        except BaseException as exc:
            self._end(exc)
            raise
        finally:
            CALL.reset(call_token)
            detach(token)
        self._take(chunk)
        return chunk

    def close(self) -> None:
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        finally:
            self._end()


class _AsyncStream(_Stream):
    __slots__ = ()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        token, call_token = attach_span(self._started.span), CALL.set(self._call)
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._end()
            raise
        except BaseException as exc:
            self._end(exc)
            raise
        finally:
            CALL.reset(call_token)
            detach(token)
        self._take(chunk)
        return chunk

    async def aclose(self) -> None:
        try:
            aclose = getattr(self._chunks, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            self._end()


def stream_sync(current: Current) -> Wrapper:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if current.options is None:
            return wrapped(*args, **kwargs)
        started = _start(instance, kwargs, current, request.GENERATE, attrs.SpanType.LLM)
        if started is None:
            return wrapped(*args, **kwargs)
        try:
            chunks = wrapped(*args, **kwargs)
        except BaseException as exc:
            _settle(started, Call(), Accumulator(), current, exc)
            raise
        started.request[attrs.GEN_AI_REQUEST_STREAM] = True
        return _SyncStream(chunks, started, current)

    return wrapper


def stream_async(current: Current) -> Wrapper:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if current.options is None:
            return await wrapped(*args, **kwargs)
        started = _start(instance, kwargs, current, request.GENERATE, attrs.SpanType.LLM)
        if started is None:
            return await wrapped(*args, **kwargs)
        try:  # builds the stream: nothing is sent before the caller's loop runs
            chunks = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _settle(started, Call(), Accumulator(), current, exc)
            raise
        started.request[attrs.GEN_AI_REQUEST_STREAM] = True
        return _AsyncStream(chunks, started, current)

    return wrapper


def _embed_settle(started: _Started, response: Any, current: Current) -> None:
    try:
        out: dict[str, Any] = {}
        put_output(out, embed_attributes(response, out), current)
        started.span.set_attributes(out)
    except Exception:
        log_internal_error("recording a Gemini embedding response")
    finally:
        started.span.end()


def _embed_failed(started: _Started, exc: BaseException) -> None:
    try:
        started.span.set_attribute(attrs.ERROR_TYPE, type(exc).__qualname__)
        record_error(started.span, exc)
    except Exception:
        log_internal_error("recording a Gemini embedding error")
    finally:
        started.span.end()


def embed_sync(current: Current) -> Wrapper:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if current.options is None:
            return wrapped(*args, **kwargs)
        started = _start(instance, kwargs, current, "embeddings", attrs.SpanType.EMBEDDING)
        if started is None:
            return wrapped(*args, **kwargs)
        try:
            response = wrapped(*args, **kwargs)
        except BaseException as exc:
            _embed_failed(started, exc)
            raise
        _embed_settle(started, response, current)
        return response

    return wrapper


def embed_async(current: Current) -> Wrapper:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if current.options is None:
            return await wrapped(*args, **kwargs)
        started = _start(instance, kwargs, current, "embeddings", attrs.SpanType.EMBEDDING)
        if started is None:
            return await wrapped(*args, **kwargs)
        try:
            response = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _embed_failed(started, exc)
            raise
        _embed_settle(started, response, current)
        return response

    return wrapper
