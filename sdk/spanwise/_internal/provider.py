"""Wiring into OpenTelemetry: TracerProvider → SpanwiseSpanProcessor → OTLP/gRPC.

Nothing heavy is imported until the first span: ``import spanwise`` stays cheap.
If the application already registered an SDK ``TracerProvider``, Spanwise adds
its processor to it, so spans of other OTel instrumentation join the same traces.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from opentelemetry import trace as trace_api

from . import attributes as attrs
from .config import Settings, env_compression, from_environment, project_metadata
from .errors import log_internal_error
from .export import COUNTERS, ExportQueue, SpanStats
from .export import stats as _stats

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan, Span

logger = logging.getLogger("spanwise")

TRACER_NAME = "spanwise"
_TRACE_ID_LIMIT = (1 << 64) - 1


class _State:
    """Process-wide SDK state: the settings and the export pipeline, built lazily."""

    def __init__(self) -> None:
        self.settings: Settings = from_environment()
        self.lock = threading.RLock()
        self.tracer: trace_api.Tracer | None = None
        self.enabled_tracer: trace_api.Tracer | None = None  # kept while enabled=False
        self.processor: SpanwiseSpanProcessor | None = None
        # (tracer, processor, root sampler) when Spanwise made the provider: what a
        # lean span (lean.py) needs; None when it joined the application's provider.
        self.own: tuple[Any, Any, Any] | None = None
        self.lean: Any = None  # lean._Pipeline, built on first use
        self.lean_tried: Any = None  # the tracer it was last tried for


STATE = _State()


# Traces kept whatever the sample rate: an evaluation's records (their traces carry the
# scores). While KEEP_NEW_TRACES is set in a context, a root span started there that the
# rate would drop is sampled all the same, and its trace id is in KEPT_TRACES, which the
# processor keeps; the evaluation releases its ids once it has flushed them.
KEEP_NEW_TRACES: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "spanwise_keep_new_traces", default=False
)
KEPT_TRACES: set[int] = set()


def keep_new_trace(trace_id: int) -> bool:
    """A root span the sample rate drops: keep its trace anyway if this context says so."""
    if not KEEP_NEW_TRACES.get():
        return False
    KEPT_TRACES.add(trace_id)
    return True


def sampled(trace_id: int, rate: float) -> bool:
    """Head sampling by trace id, the same rule as OTel's TraceIdRatioBased."""
    if rate >= 1.0:
        return True
    return (trace_id & _TRACE_ID_LIMIT) < int(rate * (_TRACE_ID_LIMIT + 1))


def _build_exporter(settings: Settings) -> Any:
    from .exporter import SpanwiseSpanExporter

    headers: list[tuple[str, Any]] = [project_metadata(settings.project)]
    if settings.api_key:
        headers.append(("authorization", f"Bearer {settings.api_key}"))
    headers.extend(settings.extra_headers)
    return SpanwiseSpanExporter(
        endpoint=settings.grpc_target,
        insecure=settings.insecure,
        headers=tuple(headers),
        timeout=settings.export_timeout_ms / 1000,
        compression=_grpc_compression(env_compression()),
    )


def _grpc_compression(name: str) -> Any:
    from grpc import Compression

    return {"gzip": Compression.Gzip, "deflate": Compression.Deflate}.get(
        name, Compression.NoCompression
    )


def _build_queue(settings: Settings) -> ExportQueue:
    return ExportQueue(
        _build_exporter(settings),
        endpoint=settings.grpc_target,
        max_queue_size=settings.max_queue_size,
        max_batch_size=settings.max_export_batch_size,
        schedule_delay_s=settings.schedule_delay_ms / 1000,
        max_block_s=settings.max_block_ms / 1000,
    )


def _export_key(settings: Settings) -> tuple[Any, ...]:
    """The settings an ExportQueue is built from; other changes keep the queue."""
    return (
        settings.grpc_target, settings.insecure, settings.project, settings.api_key,
        settings.extra_headers, settings.max_queue_size, settings.max_export_batch_size,
        settings.schedule_delay_ms, settings.export_timeout_ms, settings.max_block_ms,
    )  # fmt: skip


def _processor_base() -> type:
    from opentelemetry.sdk.trace import SpanProcessor

    return SpanProcessor


class SpanwiseSpanProcessor:
    """Adds the project to spans, applies head sampling, hands ended spans to a
    swappable ``ExportQueue`` (so ``configure()`` can change the endpoint at any time).

    OTel calls ``on_start``/``on_end`` inside the user's ``span.end()`` without
    catching, so both swallow (log) their own failures."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.project = settings.project  # read by lean spans on start
        self._inner = _build_queue(settings)
        self._retiring: list[ExportQueue] = []
        # Ids of started spans that SUPPRESS_CHECKS said not to export (a client
        # library's own span of a call an integration already traces).
        self._suppressed: set[int] = set()

    def reconfigure(self, settings: Settings) -> None:
        previous, self._settings = self._settings, settings
        self.project = settings.project
        if _export_key(previous) == _export_key(settings):
            return  # e.g. only redaction or capture switches changed: keep the queue
        old, self._inner = self._inner, _build_queue(settings)
        # The old queue drains in the background (configure() must not wait on a dead
        # endpoint); flush() still waits for it.
        self._retiring.append(old)
        threading.Thread(target=self._retire, args=(old,), daemon=True).start()

    def _retire(self, old: ExportQueue) -> None:
        try:
            old.shutdown(self._settings.shutdown_timeout_ms / 1000)
        finally:
            with contextlib.suppress(ValueError):
                self._retiring.remove(old)

    def after_fork_in_child(self) -> None:
        """The parent's export thread did not survive ``fork()`` and its gRPC channel
        must not be used here: start a fresh queue, exporter and channel."""
        self._inner.abandon()
        self._retiring = []
        COUNTERS.reset()
        self._inner = _build_queue(self._settings)

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        try:
            if self._settings.project:
                span.set_attribute(attrs.PROJECT, self._settings.project)
            for hook in START_HOOKS:
                hook(span)
            if (
                SUPPRESS_CHECKS
                and any(check(span) for check in SUPPRESS_CHECKS)
                and len(self._suppressed) < _SUPPRESSED_LIMIT  # spans never ended stay few
            ):
                self._suppressed.add(span.context.span_id)
        except Exception:
            log_internal_error("starting a span (start hook)")

    def on_end(self, span: ReadableSpan) -> None:
        try:
            ctx = span.context
            rate = self._settings.sample_rate
            if ctx is None or (
                rate < 1.0 and not sampled(ctx.trace_id, rate) and ctx.trace_id not in KEPT_TRACES
            ):
                return
            if self._suppressed and ctx.span_id in self._suppressed:
                self._suppressed.discard(ctx.span_id)
                return
            parent = span.parent
            # A trace ended here (get_last_active_trace_id): its root, or the first span
            # of a service that continued a caller's trace (a remote parent).
            if parent is None or parent.is_remote:
                LAST_TRACE[0] = ctx.trace_id
            self._inner.put(span)
        except Exception:
            log_internal_error("queueing an ended span")

    def shutdown(self, timeout: float | None = None) -> None:
        if timeout is None:
            timeout = self._settings.shutdown_timeout_ms / 1000
        self._inner.shutdown(timeout)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        deadline = time.monotonic() + timeout_millis / 1000
        ok = True
        for queue in [*self._retiring, self._inner]:
            ok = queue.flush(max(0.0, deadline - time.monotonic())) and ok
        return ok

    @property
    def queue(self) -> ExportQueue:
        return self._inner


# The trace id of the newest root span this process ended and kept (not sampled out).
LAST_TRACE: list[int] = [0]
# Callables run on every span start (e.g. the runs module adds the active run id).
START_HOOKS: list[Any] = []
# Predicates on every SDK span start: a span any of them accepts is not exported.
SUPPRESS_CHECKS: list[Any] = []
_SUPPRESSED_LIMIT = 65_536


def _as_sdk_processor(settings: Settings) -> SpanwiseSpanProcessor:
    # Subclass the SDK's SpanProcessor lazily so importing this module stays cheap.
    cls = type("SpanwiseSpanProcessor", (SpanwiseSpanProcessor, _processor_base()), {})
    return cls(settings)


def _make_provider(settings: Settings) -> tuple[Any, Any]:
    """A new SDK provider and the root sampler its ``ParentBased`` sampler delegates to."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import (
        Decision,
        ParentBased,
        SamplingResult,
        TraceIdRatioBased,
    )

    resource_attrs: dict[str, Any] = {attrs.PROJECT: settings.project}
    if settings.service_name:
        resource_attrs[SERVICE_NAME] = settings.service_name
    # Resource.create() merges OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME.
    resource = Resource.create(resource_attrs)

    class AdjustableRatio(TraceIdRatioBased):
        """The provider's tracers keep their sampler: ``configure(sample_rate=)``
        changes this one's ratio in place (through the base's own set-up)."""

        def set_rate(self, rate: float) -> None:
            TraceIdRatioBased.__init__(self, rate)

        def should_sample(self, parent_context: Any, trace_id: int, *args: Any,
                          **kwargs: Any) -> SamplingResult:  # fmt: skip
            result = TraceIdRatioBased.should_sample(self, parent_context, trace_id, *args,
                                                     **kwargs)  # fmt: skip
            if result.decision is Decision.DROP and keep_new_trace(trace_id):
                # A root span (ParentBased asks this sampler for roots only): no
                # parent trace state to carry, and the attributes arrive unchanged.
                attributes = args[2] if len(args) > 2 else kwargs.get("attributes")
                return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, result.trace_state)
            return result

    root = AdjustableRatio(settings.sample_rate)
    return TracerProvider(resource=resource, sampler=ParentBased(root)), root


def get_tracer() -> trace_api.Tracer:
    """The Spanwise tracer, setting up the export pipeline on first use."""
    tracer = STATE.tracer
    if tracer is not None:
        return tracer
    with STATE.lock:
        if STATE.tracer is None:
            try:
                _setup(STATE.settings)
            except Exception:
                # Logged once, not at every span: no tracing until the next configure().
                STATE.tracer = trace_api.NoOpTracer()
                log_internal_error("setting up tracing; spans are off until configure()")
        return STATE.tracer  # type: ignore[return-value]


def _setup(settings: Settings) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    if not settings.enabled:
        STATE.tracer = trace_api.NoOpTracer()
        return
    current = trace_api.get_tracer_provider()
    root = None
    if isinstance(current, TracerProvider):
        provider = current  # the app's own provider: join it
    else:
        provider, root = _make_provider(settings)
        trace_api.set_tracer_provider(provider)
        if trace_api.get_tracer_provider() is not provider:
            # Someone else won the race to set the global provider.
            other = trace_api.get_tracer_provider()
            if isinstance(other, TracerProvider):
                provider, root = other, None
    processor = _as_sdk_processor(settings)
    provider.add_span_processor(processor)
    STATE.processor = processor
    STATE.tracer = STATE.enabled_tracer = provider.get_tracer(TRACER_NAME)
    STATE.own = (STATE.tracer, processor, root) if root is not None else None
    atexit.register(_shutdown_at_exit)
    from . import child_exit

    child_exit.register(_shutdown_at_exit)  # forked multiprocessing children skip atexit


def reconfigure(settings: Settings) -> None:
    with STATE.lock:
        if settings == STATE.settings:
            return
        previous, STATE.settings = STATE.settings, settings
        if STATE.processor is not None:
            if settings.enabled:
                STATE.processor.reconfigure(settings)
                STATE.tracer = STATE.enabled_tracer  # back on after enabled=False
                if STATE.own is not None and settings.sample_rate != previous.sample_rate:
                    # Spans start (non-)recording by the provider's sampler, not only
                    # the processor's check: a higher rate must reach it too.
                    STATE.own[2].set_rate(settings.sample_rate)
                    STATE.lean = STATE.lean_tried = None  # it copied the old bound
            else:
                STATE.processor.force_flush(1000)
                STATE.tracer = trace_api.NoOpTracer()
        elif STATE.tracer is not None and settings.enabled:
            # Was disabled before the first span; set up for real now.
            STATE.tracer = None


def flush(timeout: float = 10.0) -> bool:
    """Export every ended span now; ``False`` if the timeout passed first."""
    processor = STATE.processor
    if processor is None:
        return True
    return processor.force_flush(int(timeout * 1000))


def stats() -> SpanStats:
    processor = STATE.processor
    return _stats(processor.queue if processor is not None else None)


_EXIT_DEADLINE: list[float] = []


def exit_time_left() -> float:
    """Seconds left at interpreter exit to deliver spans and run events: one
    ``shutdown_timeout_ms`` for both, counted from the first exit hook that asks."""
    if not _EXIT_DEADLINE:
        _EXIT_DEADLINE.append(time.monotonic() + STATE.settings.shutdown_timeout_ms / 1000)
    return max(0.0, _EXIT_DEADLINE[0] - time.monotonic())


def _shutdown_at_exit() -> None:
    # Runs before TracerProvider's own atexit shutdown (atexit is LIFO), so the
    # wait at exit is bounded by ``shutdown_timeout_ms`` whatever the collector does.
    try:
        processor = STATE.processor
        if processor is not None:
            processor.shutdown(exit_time_left())
    except Exception:
        logger.debug("spanwise: shutdown at exit failed", exc_info=True)


def _after_fork_in_child() -> None:
    STATE.lock = threading.RLock()  # another thread may have held it at fork time
    try:
        processor = STATE.processor
        if processor is not None:
            processor.after_fork_in_child()
    except Exception:
        logger.debug("spanwise: re-initialising after fork failed", exc_info=True)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
