"""The current span, and a span made current, without OTel's API layers per call.

Why: ``trace.get_current_span()``, ``set_span_in_context()``, ``context.attach()``
and ``detach()`` are ~10 Python calls between them, each a few cache misses when
run once per model call among the client's own work. With OTel's default runtime
context (a ``ContextVar`` holding a ``Context``) this does what they do, directly
on that ``ContextVar``; with any other runtime context it calls them.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.context.context import Context
from opentelemetry.trace import Span, SpanContext

__all__ = ["attach_span", "detach", "parent_span_context"]

logger = logging.getLogger("opentelemetry.context")  # where OTel's detach logs

_SPAN_KEY: Any = None
_UNSEEN = object()
_VAR: Any = None  # the default runtime context's ContextVar, or None: use the API
_RUNTIME: Any = _UNSEEN  # the runtime context _VAR was read from


def _default_var() -> Any:
    """The ``ContextVar`` of OTel's runtime context when it is the default one."""
    global _SPAN_KEY, _VAR, _RUNTIME
    runtime = getattr(context_api, "_RUNTIME_CONTEXT", None)
    var = None
    try:
        from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
        from opentelemetry.trace.propagation import _SPAN_KEY as key

        if type(runtime) is ContextVarsRuntimeContext:
            var = runtime._current_context
            _SPAN_KEY = key
    except (ImportError, AttributeError):
        var = None
    _VAR, _RUNTIME = var, runtime
    return var


def parent_span_context() -> SpanContext | None:
    """The current span's context if it is valid (a parent for a new span), else None."""
    var = _VAR if context_api._RUNTIME_CONTEXT is _RUNTIME else _default_var()
    if var is None:
        context = trace_api.get_current_span().get_span_context()
        return context if context.is_valid else None
    span = var.get().get(_SPAN_KEY)
    if span is None or not isinstance(span, Span):
        return None
    context = span.get_span_context()
    return context if context.is_valid else None


def attach_span(span: Span) -> Any:
    """``context.attach(trace.set_span_in_context(span))``: a token for `detach`."""
    var = _VAR if context_api._RUNTIME_CONTEXT is _RUNTIME else _default_var()
    if var is None:
        return context_api.attach(trace_api.set_span_in_context(span))
    values = var.get().copy()
    values[_SPAN_KEY] = span
    return var.set(Context(values))


def detach(token: Any) -> None:
    """``context.detach(token)``: never raises."""
    var = _VAR if context_api._RUNTIME_CONTEXT is _RUNTIME else _default_var()
    if var is None:
        context_api.detach(token)
        return
    try:
        var.reset(token)
    except Exception:
        logger.exception("Failed to detach context")


def detach_quietly(token: Any) -> None:
    """`detach` for a token that may belong to another context (a span another library
    ends from a different task than it started in): nothing to undo here, no log."""
    var = _VAR if context_api._RUNTIME_CONTEXT is _RUNTIME else _default_var()
    try:
        if var is None:
            context_api._RUNTIME_CONTEXT.detach(token)
        else:
            var.reset(token)
    except Exception:
        pass
