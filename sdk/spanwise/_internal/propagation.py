"""Distributed tracing: one trace across services, carried by W3C ``traceparent`` headers.

The caller sends ``get_tracing_context_headers_for_http_request()`` with its request; the
callee runs its handler in ``set_tracing_context_from_http_request_headers(headers)``,
so its spans join the caller's trace under the caller's span (MLflow's two functions,
same names). The headers are OpenTelemetry's: any OTel-instrumented service on either
side joins the same trace, and a callee whose caller sends nowhere lists under its own
first span (the collector reads the span's remote-parent flag).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .errors import log_internal_error

__all__ = [
    "get_tracing_context_headers_for_http_request",
    "set_tracing_context_from_http_request_headers",
]

_PROPAGATOR = TraceContextTextMapPropagator()


def get_tracing_context_headers_for_http_request() -> dict[str, str]:
    """Headers that carry the current span's trace (``traceparent``, and ``tracestate``
    when there is one) to the service a request goes to; ``{}`` outside a span."""
    headers: dict[str, str] = {}
    try:
        if trace_api.get_current_span().get_span_context().is_valid:
            _PROPAGATOR.inject(headers)
    except Exception:
        log_internal_error("reading the tracing context for a request")
    return headers


def _text(value: Any) -> str:
    # HTTP header bytes are Latin-1; str(b"traceparent") was "b'traceparent'": no match,
    # and the service's spans silently started a trace of their own.
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)


@contextlib.contextmanager
def set_tracing_context_from_http_request_headers(headers: Mapping[str, Any]) -> Iterator[None]:
    """Spans started in this block continue the trace of the request ``headers`` came
    with (any mapping: a dict, Flask's or Starlette's headers; names in any case). Without
    a valid ``traceparent`` they start a trace of their own, as without the block.
    Names and values may be bytes (an ASGI scope's ``dict(scope["headers"])``).
    ``headers`` without ``items()`` raises ``TypeError``."""
    if not callable(getattr(headers, "items", None)):
        raise TypeError(f"headers must be a mapping, got {type(headers).__name__}")
    token = None
    try:
        carrier = {_text(k).lower(): _text(v) for k, v in headers.items()}
        context = _PROPAGATOR.extract(carrier)  # onto the current context (its other keys)
        if trace_api.get_current_span(context).get_span_context().is_valid:
            token = context_api.attach(context)
    except Exception:
        log_internal_error("reading the tracing context of a request")
    try:
        yield
    finally:
        if token is not None:
            context_api.detach(token)
