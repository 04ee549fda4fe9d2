"""Manual spans: ``start_span`` and the handle it yields; trace-level updates."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.trace import Status, StatusCode

from . import attributes as attrs
from .errors import log_internal_error
from .lean import start_lean_span
from .provider import STATE
from .serialize import to_json, truncate

AttributeValue = Any


def capture(value: Any) -> str:
    """Redact (if configured), then JSON-encode with the size cap. A redact hook that
    raises propagates: callers then record no value at all (never the unredacted one)."""
    settings = STATE.settings
    if settings.redact is not None:
        value = settings.redact(value)
    return to_json(value, settings.max_value_chars)


def clean_attribute(value: Any) -> AttributeValue:
    """OTel attributes take str/bool/int/float or homogeneous lists of them; JSON the rest.
    Text is cut at ``max_value_chars``, as inputs are: a span too big for the collector's
    request limit had its whole export batch refused."""
    if isinstance(value, str):
        return truncate(value, STATE.settings.max_value_chars)
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [truncate(v, STATE.settings.max_value_chars) for v in value]
    return to_json(value, STATE.settings.max_value_chars)


class LiveSpan:
    """The handle ``start_span`` yields. Every method is safe: failures are logged (an
    argument of the wrong shape raises ``TypeError``/``ValueError`` and sets nothing)."""

    __slots__ = ("_span",)

    def __init__(self, span: trace_api.Span) -> None:
        self._span = span

    @property
    def span_id(self) -> str:
        return trace_api.format_span_id(self._span.get_span_context().span_id)

    @property
    def trace_id(self) -> str:
        return trace_api.format_trace_id(self._span.get_span_context().trace_id)

    @property
    def parent_id(self) -> str | None:
        """The parent span's id (in this process or the caller's), ``None`` for a root."""
        parent = getattr(self._span, "parent", None)  # None too on a non-recording span
        return None if parent is None else trace_api.format_span_id(parent.span_id)

    def set_inputs(self, inputs: Any) -> None:
        if not STATE.settings.capture_inputs:
            return
        try:
            self._span.set_attribute(attrs.INPUTS, capture(inputs))
        except Exception:
            log_internal_error("recording span inputs")

    def set_outputs(self, outputs: Any) -> None:
        if not STATE.settings.capture_outputs:
            return
        try:
            self._span.set_attribute(attrs.OUTPUTS, capture(outputs))
        except Exception:
            log_internal_error("recording span outputs")

    def set_attribute(self, key: str, value: Any) -> None:
        try:
            self._span.set_attribute(key, clean_attribute(value))
        except Exception:
            log_internal_error("setting a span attribute")

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        _check_mapping("attributes", attributes)
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_status(self, status: str, message: str | None = None) -> None:
        try:
            code = StatusCode.ERROR if str(status).upper() == "ERROR" else StatusCode.OK
            text = None if message is None else truncate(str(message), _max_chars())
            self._span.set_status(Status(code, text))
        except Exception:
            log_internal_error("setting the span status")

    def record_exception(self, exc: BaseException) -> None:
        record_error(self._span, exc)

    def set_llm_usage(
        self,
        *,
        model: str | None = None,
        provider: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cached_input_tokens: int | None = None,
        cache_write_input_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> None:
        """Record this span as a model call the collector prices (Langfuse's
        ``update_current_generation``): ``input_tokens`` is the whole prompt, cached
        and cache-written tokens included; ``output_tokens`` includes reasoning. A span
        started without a type becomes ``LLM`` (spans of type LLM, CHAT_MODEL or
        EMBEDDING are priced). A bad value raises ``ValueError`` and sets nothing."""
        from .llm_usage import llm_usage_attributes

        values = llm_usage_attributes(model, provider, {
            "input_tokens": input_tokens, "output_tokens": output_tokens,
            "cached_input_tokens": cached_input_tokens,
            "cache_write_input_tokens": cache_write_input_tokens,
            "reasoning_tokens": reasoning_tokens,
        })  # fmt: skip
        try:
            current = getattr(self._span, "attributes", None) or {}
            if current.get(attrs.SPAN_TYPE, attrs.SpanType.UNKNOWN) == attrs.SpanType.UNKNOWN:
                values[attrs.SPAN_TYPE] = attrs.SpanType.LLM
            self._span.set_attributes(values)
        except Exception:
            log_internal_error("recording a model call's usage")

    def add_event(
        self,
        event: Any,
        attributes: Mapping[str, Any] | None = None,
        timestamp_ns: int | None = None,
    ) -> None:
        """Record a point in time on the span: ``add_event("retrieved", {"docs": 3})``,
        or a ``spanwise.SpanEvent`` (MLflow's ``LiveSpan.add_event(SpanEvent(...))``)."""
        if attributes is not None:
            _check_mapping("attributes", attributes)
        try:
            name = getattr(event, "name", event)
            if attributes is None:
                attributes = getattr(event, "attributes", None)
            if timestamp_ns is None:
                timestamp_ns = getattr(event, "timestamp_ns", None)
            cleaned = {str(k): clean_attribute(v) for k, v in (attributes or {}).items()}
            self._span.add_event(str(name), cleaned, timestamp_ns or None)
        except Exception:
            log_internal_error("adding a span event")


def record_error(span: trace_api.Span, exc: BaseException) -> None:
    if isinstance(exc, SystemExit) and exc.code in (None, 0):
        return  # sys.exit(0) (a CLI's normal end) is a success, not an error
    try:
        message: str | None = str(exc)
    except Exception:  # the exception's own __str__ is broken: the span still reads ERROR
        message = None
    try:
        # Cut as inputs are (a huge message, in the status, event and stack trace, had
        # the whole export batch refused as too big for the collector).
        text = truncate("<exception str() failed>" if message is None else message, _max_chars())
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {text}"))
        span.add_event(attrs.EXCEPTION_EVENT, _exception_event(exc, text))
    except Exception:
        log_internal_error("recording an exception")


def _max_chars() -> int:
    return STATE.settings.max_value_chars


def _exception_event(exc: BaseException, message: str) -> dict[str, str]:
    """What ``record_exception`` records, with ``message`` for the exception's text (it
    would call a broken ``__str__`` again) and the stack trace cut to size."""
    import traceback

    cls = type(exc)
    module = cls.__module__
    stack = "".join(traceback.format_exception(cls, exc, exc.__traceback__))
    return {
        "exception.type": cls.__qualname__
        if module in (None, "builtins")
        else f"{module}.{cls.__qualname__}",
        "exception.message": message,
        "exception.stacktrace": truncate(stack, _max_chars()),
        "exception.escaped": "False",
    }


def span_attributes(
    span_type: str | None,
    attributes: Mapping[str, Any] | None,
    fixed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The attributes a span starts with: its type, ``fixed`` ones, then the user's (cleaned)."""
    out: dict[str, Any] = {attrs.SPAN_TYPE: span_type or attrs.SpanType.UNKNOWN, **(fixed or {})}
    for key, value in (attributes or {}).items():
        out[key] = clean_attribute(value)
    return out


def start_otel_span(
    name: str, span_type: str | None, attributes: Mapping[str, Any] | None
) -> trace_api.Span:
    return start_lean_span(name, span_attributes(span_type, attributes))


@contextlib.contextmanager
def start_span(
    name: str,
    span_type: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    inputs: Any = None,
) -> Iterator[LiveSpan]:
    """Open a span as the current one for the ``with`` block.

    An exception from the block marks the span ERROR, records it and propagates.
    A ``name`` that is not a ``str``, or ``attributes`` that are no mapping, raise
    ``TypeError``.
    """
    if not isinstance(name, str):  # it would fail the export of every span sent with it
        raise TypeError(f"start_span() takes a str name, got {type(name).__name__}")
    if attributes is not None and not isinstance(attributes, Mapping):
        # Else the block ran without its span, the failure logged as Spanwise's own.
        raise TypeError(
            f"start_span() takes attributes as a mapping, got {type(attributes).__name__}"
        )
    try:
        span = start_otel_span(name, span_type, attributes)
        token = context_api.attach(trace_api.set_span_in_context(span))
    except Exception:
        log_internal_error("starting a span")
        yield LiveSpan(trace_api.INVALID_SPAN)
        return
    live = LiveSpan(span)
    if inputs is not None:
        live.set_inputs(inputs)
    try:
        yield live
    except GeneratorExit:
        raise  # a generator around the block was closed early (a break): no failure
    except BaseException as exc:
        record_error(span, exc)
        raise
    finally:
        try:
            span.end()
            context_api.detach(token)
        except Exception:
            log_internal_error("ending a span")


def get_current_trace_id() -> str | None:
    """The current trace id as 32 lowercase hex characters, or ``None`` outside a trace."""
    ctx = trace_api.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return trace_api.format_trace_id(ctx.trace_id)


def get_current_active_span() -> LiveSpan | None:
    """The span current here (to set its attributes, outputs, status), ``None`` outside
    any span of this process (in a ``set_tracing_context_from_http_request_headers``
    block before one starts, the caller's span is no handle: nothing set on it would be
    recorded); as MLflow's. A span the sample rate dropped is returned too: its methods
    do nothing."""
    span = trace_api.get_current_span()
    return LiveSpan(span) if _local(span.get_span_context()) else None


def _local(context: trace_api.SpanContext) -> bool:
    """A span of this process: not another service's, read from request headers."""
    return context.is_valid and not context.is_remote


def get_last_active_trace_id() -> str | None:
    """The id of the last trace this process finished (its root span ended and was kept
    for export; in a service that continued a caller's trace, its first span there), e.g.
    to log feedback on it after an app call returned; ``None`` if none."""
    from .provider import LAST_TRACE

    return trace_api.format_trace_id(LAST_TRACE[0]) if LAST_TRACE[0] else None


_MLFLOW_SESSION, _MLFLOW_USER = "mlflow.trace.session", "mlflow.trace.user"


def trace_attributes(
    tags: Mapping[str, Any] | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The span attributes that carry trace-level information (one per key, so that
    several spans' values merge). MLflow's session and user metadata keys
    (``mlflow.trace.session``, ``mlflow.trace.user``) name them too, as in MLflow."""
    out: dict[str, Any] = {}
    if metadata:
        if session_id is None:
            session_id = metadata.get(_MLFLOW_SESSION)
        if user_id is None:
            user_id = metadata.get(_MLFLOW_USER)
    if session_id is not None:
        out[attrs.SESSION_ID] = str(session_id)
    if user_id is not None:
        out[attrs.USER_ID] = str(user_id)
    now = time.time_ns()  # when each key was written: the latest write wins across spans
    written: dict[str, int] = {}
    for key, value in (tags or {}).items():
        out[attrs.TRACE_TAG_PREFIX + str(key)] = str(value)
        written[f"tags.{key}"] = now
    for key, value in (metadata or {}).items():
        text = value if isinstance(value, str) else to_json(value, 4096)
        out[attrs.TRACE_METADATA_PREFIX + str(key)] = text
        written[f"metadata.{key}"] = now
    if written:
        out[attrs.TRACE_WRITTEN] = json.dumps(written, separators=(",", ":"))
    return out


def merge_trace_attributes(earlier: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (from ``trace_attributes``) to set over ``earlier`` ones: the write
    times of both are kept, since one attribute holds them all."""
    new, old = values.get(attrs.TRACE_WRITTEN), earlier.get(attrs.TRACE_WRITTEN)
    if new is None or not isinstance(old, str):
        return values
    try:
        both = {**json.loads(old), **json.loads(new)}
    except ValueError:
        return values
    return {**values, attrs.TRACE_WRITTEN: json.dumps(both, separators=(",", ":"))}


def set_trace_attributes(span: Any, values: dict[str, Any]) -> None:
    """``trace_attributes`` on a span that may hold some already."""
    span.set_attributes(merge_trace_attributes(getattr(span, "attributes", None) or {}, values))


def check_mappings(tags: Any, metadata: Any) -> None:
    """Bad input changes nothing: a list of tags (Langfuse's) failed halfway, as an
    internal error that dropped the session and user given with it."""
    for name, value in (("tags", tags), ("metadata", metadata)):
        if value is not None:
            _check_mapping(name, value)


def _check_mapping(name: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping, got {type(value).__name__}")


_WARNED_NO_TRACE: list[bool] = []


def update_current_trace(
    tags: Mapping[str, Any] | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Attach trace-level information; the collector merges it across the trace's spans.
    Tags and metadata must be mappings (``TypeError`` otherwise; Langfuse's list of
    tags is ``{"tag": ""}`` here)."""
    check_mappings(tags, metadata)
    span = trace_api.get_current_span()
    if not _local(span.get_span_context()):  # the caller's span (headers) records nothing
        if not _WARNED_NO_TRACE and STATE.settings.enabled:
            # As MLflow: a silent no-op hid sessions and users that were never recorded.
            _WARNED_NO_TRACE.append(True)
            logging.getLogger("spanwise").warning(
                "spanwise: update_current_trace() outside a trace does nothing; call it "
                "inside a @spanwise.trace function or a spanwise.start_span() block"
            )
        return
    try:
        set_trace_attributes(span, trace_attributes(tags, session_id, user_id, metadata))
    except Exception:
        log_internal_error("updating the current trace")
