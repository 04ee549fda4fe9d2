"""The wrapt wrappers around an LLM client's resource methods: one span per call.

Per call: one attribute dict, one span start, one JSON capture per side, one
context attach. Anything failing in here is logged and the user's call runs (or
its result is returned) untouched; exceptions from the call itself pass through
unchanged after being recorded on the span.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from opentelemetry.trace import Span, SpanKind

from ... import attributes as attrs
from ...errors import log_internal_error
from ...fastcontext import attach_span, detach
from ...lean import start_lean_span
from ...provider import STATE
from ...spans import capture, record_error
from .operation import Operation
from .raw import RawProxy
from .settings import Current
from .streams import (
    AsyncHelperProxy,
    AsyncStreamProxy,
    SyncHelperProxy,
    SyncStreamProxy,
    end_with_response,
    settle,
)

# Set while a traced call runs: a traced method that calls another (e.g. beta helpers
# delegating to create in some client versions) makes one span. A ContextVar of our
# own: cheaper than a second OTel context copy, same scoping (threads, tasks).
_IN_CALL: ContextVar[bool] = ContextVar("spanwise_llm_in_call", default=False)

_CLIENT = SpanKind.CLIENT

# Instrumentation scopes of client libraries that trace their own calls with
# OpenTelemetry (anthropic >= 2): their span of a call we trace too would repeat the
# call and its cost, so it is not exported (see `suppress_native`).
NATIVE_SCOPES: set[str] = set()


def suppress_native(span: Any) -> bool:
    """A `provider.SUPPRESS_CHECKS` predicate: the span is a client library's own,
    started inside a call one of our wrappers is tracing."""
    if not _IN_CALL.get():
        return False
    scope = getattr(getattr(span, "instrumentation_scope", None), "name", "") or ""
    return any(scope.startswith(prefix) for prefix in NATIVE_SCOPES)


def register_native_scope(prefix: str) -> None:
    from ...provider import SUPPRESS_CHECKS

    NATIVE_SCOPES.add(prefix)
    if suppress_native not in SUPPRESS_CHECKS:
        SUPPRESS_CHECKS.append(suppress_native)


Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]
# The provider's span attributes (gen_ai.provider.name, server.*) from the resource
# whose method was called; cached per client by the integration.
Provider = Callable[[Any], Mapping[str, Any]]


def start_span(
    op: Operation, instance: Any, kwargs: Mapping[str, Any], current: Current, provider: Provider
) -> Span | None:
    """The call's span, started with its request attributes; ``None`` if that failed."""
    try:
        model = kwargs.get(op.model_arg)
        attributes: dict[str, Any] = {
            attrs.SPAN_TYPE: op.span_type,
            attrs.GEN_AI_OPERATION_NAME: op.name,
        }
        if isinstance(model, str) and model:
            attributes[attrs.GEN_AI_REQUEST_MODEL] = model
            name = f"{op.name} {model}"
        else:
            name = op.name
        attributes.update(provider(instance))
        op.request(kwargs, attributes)
    except Exception:
        log_internal_error("starting an LLM call span")
        return None
    options = current.options
    if options is not None and options.log_inputs and STATE.settings.capture_inputs:
        # Captured before the span starts so that it goes in with the other attributes
        # (one pass through the SDK's attribute checks); a sampled-out call wastes it.
        try:
            attributes[attrs.INPUTS] = capture(op.inputs(kwargs))
        except Exception:
            log_internal_error("capturing LLM call inputs")
    try:
        return start_lean_span(name, attributes, _CLIENT)
    except Exception:
        log_internal_error("starting an LLM call span")
        return None


def fail(span: Span, exc: BaseException) -> None:
    try:
        span.set_attribute(attrs.ERROR_TYPE, type(exc).__qualname__)
        status = getattr(exc, "status_code", None)
        if isinstance(status, int):
            span.set_attribute(attrs.HTTP_RESPONSE_STATUS_CODE, status)
        record_error(span, exc)
    except Exception:
        log_internal_error("recording an LLM call error")
    finally:
        span.end()


# Whether results of a type are raw responses, by type: asking a pydantic result for a
# missing attribute goes through its ``__getattr__`` and an exception (~2 µs a call).
_RAW_TYPES: dict[type, bool] = {}


def _is_raw(result: Any) -> bool:
    kind = type(result)
    raw = _RAW_TYPES.get(kind)
    if raw is None:
        raw = callable(getattr(result, "parse", None)) and hasattr(result, "http_response")
        if len(_RAW_TYPES) < 256:
            _RAW_TYPES[kind] = raw
    return raw


def _raw(
    span: Span, op: Operation, result: Any, stream_type: type, proxy: type, current: Current
) -> Any:
    """A raw response (``with_raw_response``, used by langchain-openai, or
    ``with_streaming_response``, used by the OpenAI Agents SDK). When its HTTP body is
    already read and closed, ``parse()`` only decodes it (and the client caches the
    result, so the user's object is unchanged): recorded now, even if the caller only
    reads headers. Otherwise (a stream, an unread body the caller may read its own way)
    recorded when the caller parses it (`raw`)."""
    if getattr(getattr(result, "http_response", None), "is_closed", False) is True:
        parsed = result.parse()
        if inspect.isawaitable(parsed):
            parsed.close()  # type: ignore[union-attr]  # async parse: left to the caller
        elif not isinstance(parsed, stream_type):
            end_with_response(span, op.response, parsed, current)
            return result
    return RawProxy(result, span, op, stream_type, proxy, current)


def _prepare(op: Operation, instance: Any, kwargs: dict[str, Any]) -> bool:
    """``op.prepare`` on the call's kwargs (their own dict); never fails the call."""
    if op.prepare is None:
        return False
    try:
        return op.prepare(instance, kwargs)
    except Exception:
        log_internal_error("preparing an LLM call")
        return False


def _succeed(
    span: Span,
    op: Operation,
    result: Any,
    stream_type: type,
    proxy: type,
    current: Current,
    hide_usage: bool = False,
) -> Any:
    """End the span with the result, or hand out a proxy (a stream's, a raw response's)
    that will end it."""
    if _RAW_TYPES.get(type(result)) is not False and span.is_recording():  # raw or not seen yet
        try:
            raw = _is_raw(result)
        except Exception:
            raw = False
        if raw:
            try:
                return _raw(span, op, result, stream_type, proxy, current)
            except Exception:
                log_internal_error("reading a raw LLM response")
                span.end()
                return result
    return settle(span, op, result, stream_type, proxy, current, hide_usage)


def in_call() -> Any:
    """Mark the current context as inside a traced call; ``reset_call(token)`` ends it."""
    return _IN_CALL.set(True)


def reset_call(token: Any) -> None:
    _IN_CALL.reset(token)


def sync_call(op: Operation, stream_type: type, current: Current, provider: Provider) -> Wrapper:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if current.options is None or _IN_CALL.get():
            return wrapped(*args, **kwargs)
        span = start_span(op, instance, kwargs, current, provider)
        if span is None:
            return wrapped(*args, **kwargs)
        hide = _prepare(op, instance, kwargs)
        token = attach_span(span)
        in_call = _IN_CALL.set(True)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            fail(span, exc)
            raise
        finally:
            _IN_CALL.reset(in_call)
            detach(token)
        return _succeed(span, op, result, stream_type, SyncStreamProxy, current, hide)

    return wrapper


def async_call(op: Operation, stream_type: type, current: Current, provider: Provider) -> Wrapper:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if current.options is None or _IN_CALL.get():
            return await wrapped(*args, **kwargs)
        span = start_span(op, instance, kwargs, current, provider)
        if span is None:
            return await wrapped(*args, **kwargs)
        hide = _prepare(op, instance, kwargs)
        token = attach_span(span)
        in_call = _IN_CALL.set(True)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            fail(span, exc)
            raise
        finally:
            _IN_CALL.reset(in_call)
            detach(token)
        return _succeed(span, op, result, stream_type, AsyncStreamProxy, current, hide)

    return wrapper


def call_wrapper(
    op: Operation, is_async: bool, library: Any, current: Current, provider: Provider
) -> Wrapper:
    """The wrapper of a traced method; ``library`` is the client module, whose
    ``Stream``/``AsyncStream`` tell a streamed result (both clients name them so)."""
    if is_async:
        return async_call(op, library.AsyncStream, current, provider)
    return sync_call(op, library.Stream, current, provider)


def stream_helper(is_async: bool, current: Current) -> Wrapper:
    """``.stream(...)`` helpers that call ``create``: the span itself comes from there."""
    proxy = AsyncHelperProxy if is_async else SyncHelperProxy

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        manager = wrapped(*args, **kwargs)
        if current.options is None:
            return manager
        try:
            return proxy(manager)
        except Exception:
            log_internal_error("wrapping a stream helper")
            return manager

    return wrapper
