"""Spanwise: LLM tracing, cost and experiment tracking on OpenTelemetry.

    import spanwise

    @spanwise.trace
    def answer(question: str) -> str: ...

Spans go over OTLP/gRPC to a Spanwise collector (``SPANWISE_ENDPOINT``,
default ``http://localhost:4317``); ``spanwise.Client`` reads them back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._internal import config as _config
from ._internal import provider as _provider
from ._internal.attributes import SpanType
from ._internal.decorator import trace
from ._internal.exceptions import InvalidParameterError, SpanwiseError
from ._internal.export import SpanStats
from ._internal.runs.artifact_values import log_dict, log_figure, log_image, log_text
from ._internal.runs.fluent import (
    active_run,
    end_run,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    set_experiment,
    set_tag,
    set_tags,
    start_run,
)
from ._internal.runs.frame import search_runs
from ._internal.runs.state import ActiveRun
from ._internal.runs.types import Experiment, FileInfo, Metric, Run, RunData, RunInfo
from ._internal.spans import (
    LiveSpan,
    get_current_active_span,
    get_current_trace_id,
    get_last_active_trace_id,
    start_span,
    update_current_trace,
)

if TYPE_CHECKING:
    from ._internal.assessments import (
        Assessment,
        AssessmentError,
        AssessmentSource,
        log_expectation,
        log_feedback,
    )
    from ._internal.client import Client, SpanwiseAPIError
    from ._internal.costs import CostRow, CostSummary
    from ._internal.datasets import Dataset, DatasetRecord
    from ._internal.evaluation import (
        EvaluationResult,
        EvaluationRow,
        Feedback,
        ScoringPass,
        evaluate,
        make_judge,
        score_traces,
        scorer,
    )
    from ._internal.fluent_traces import get_trace, search_traces
    from ._internal.prompts import Prompt, PromptInfo, load_prompt, register_prompt
    from ._internal.propagation import (
        get_tracing_context_headers_for_http_request,
        set_tracing_context_from_http_request_headers,
    )
    from ._internal.trace_scope import propagate_attributes
    from ._internal.types import (
        AnalyticsResult,
        AnalyticsRow,
        PagedList,
        Session,
        SessionInfo,
        Span,
        SpanEvent,
        Trace,
        TraceData,
        TraceInfo,
    )

# The read side (the HTTP client and the types it returns) loads on first use: an app
# that only traces never needs it, and it was a third of `import spanwise`.
_READ_TYPES = (
    "AnalyticsResult", "AnalyticsRow", "PagedList", "Session", "SessionInfo", "Span",
    "SpanEvent", "Trace", "TraceData", "TraceInfo",
)  # fmt: skip
_LAZY = {
    "Client": "client",
    **dict.fromkeys(
        ("Assessment", "AssessmentError", "AssessmentSource", "log_expectation", "log_feedback"),
        "assessments",
    ),
    "SpanwiseAPIError": "client",
    "CostRow": "costs",
    "CostSummary": "costs",
    "Dataset": "datasets",
    "DatasetRecord": "datasets",
    **dict.fromkeys(
        (
            "EvaluationResult",
            "EvaluationRow",
            "Feedback",
            "ScoringPass",
            "evaluate",
            "make_judge",
            "score_traces",
            "scorer",
        ),
        "evaluation",
    ),
    **dict.fromkeys(("Prompt", "PromptInfo", "load_prompt", "register_prompt"), "prompts"),
    **dict.fromkeys(("get_trace", "search_traces"), "fluent_traces"),
    "propagate_attributes": "trace_scope",
    **dict.fromkeys(
        (
            "get_tracing_context_headers_for_http_request",
            "set_tracing_context_from_http_request_headers",
        ),
        "propagation",
    ),
    **dict.fromkeys(_READ_TYPES, "types"),
}

__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "AnalyticsResult",
    "AnalyticsRow",
    "Assessment",
    "AssessmentError",
    "AssessmentSource",
    "Client",
    "CostRow",
    "CostSummary",
    "Dataset",
    "DatasetRecord",
    "EvaluationResult",
    "EvaluationRow",
    "Experiment",
    "Feedback",
    "FileInfo",
    "InvalidParameterError",
    "LiveSpan",
    "Metric",
    "PagedList",
    "Prompt",
    "PromptInfo",
    "Run",
    "RunData",
    "RunInfo",
    "ScoringPass",
    "Session",
    "SessionInfo",
    "Span",
    "SpanEvent",
    "SpanStats",
    "SpanType",
    "SpanwiseAPIError",
    "SpanwiseError",
    "Trace",
    "TraceData",
    "TraceInfo",
    "__version__",
    "active_run",
    "autolog",
    "configure",
    "end_run",
    "evaluate",
    "flush",
    "get_current_active_span",
    "get_current_trace_id",
    "get_last_active_trace_id",
    "get_trace",
    "get_tracing_context_headers_for_http_request",
    "last_active_run",
    "load_prompt",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_expectation",
    "log_feedback",
    "log_figure",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "make_judge",
    "propagate_attributes",
    "register_prompt",
    "score_traces",
    "scorer",
    "search_runs",
    "search_traces",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracing_context_from_http_request_headers",
    "start_run",
    "start_span",
    "stats",
    "trace",
    "update_current_trace",
]


def configure(
    endpoint: str | None = None,
    api_key: str | None = None,
    project: str | None = None,
    service_name: str | None = None,
    sample_rate: float | None = None,
    redact: Any = None,
    capture_inputs: bool | None = None,
    capture_outputs: bool | None = None,
    enabled: bool | None = None,
    **advanced: Any,
) -> None:
    """Configure the SDK; arguments left ``None`` keep their current value.

    ``redact`` is called with every captured input/output value before it is
    encoded and leaves the process; it returns the value to record.
    ``sample_rate`` is a head-sampling ratio decided by trace id, so all spans
    of a trace share the decision (``evaluate`` keeps every record's trace: it
    carries the scores). Bad values raise ``ValueError``/``TypeError``.
    """
    settings = _config.updated(
        _provider.STATE.settings,
        endpoint=endpoint,
        api_key=api_key,
        project=project,
        service_name=service_name,
        sample_rate=sample_rate,
        redact=redact,
        capture_inputs=capture_inputs,
        capture_outputs=capture_outputs,
        enabled=enabled,
        **advanced,
    )
    _provider.reconfigure(settings)


def flush(timeout: float = 10.0) -> bool:
    """Send every finished span and every queued run event to the collector now;
    ``False`` if ``timeout`` passed first (or run events had to be dropped)."""
    import time

    from ._internal.runs import fluent as _runs

    deadline = time.monotonic() + timeout
    try:
        spans_ok = _provider.flush(timeout)
    except Exception:
        from ._internal.errors import log_internal_error

        log_internal_error("flushing spans")
        spans_ok = False
    try:
        runs_ok = _runs.flush(max(0.0, deadline - time.monotonic()))
    except Exception:
        from ._internal.errors import log_internal_error

        log_internal_error("flushing run events")
        runs_ok = False
    return spans_ok and runs_ok


def stats() -> SpanStats:
    """Counters of this process's spans: ``exported``, ``dropped`` (queue full or
    exit before sending), ``failed`` (collector refused or unreachable), ``queued``."""
    return _provider.stats()


def autolog(disable: bool = False) -> None:
    """Enable tracing in every integration whose library is installed (openai, ...).

    ``disable=True`` removes them all again. Libraries are imported only if installed.
    """
    from ._internal.integrations import registry

    registry.autolog(disable=disable)


# Integration namespaces (``spanwise.openai``) load on first use, so that
# ``import spanwise`` stays light.
_SUBMODULES = frozenset(
    {"openai", "openai_agents", "anthropic", "gemini", "bedrock", "mistral", "groq", "langchain"}
)


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f"{__name__}._internal.{module}"), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in _SUBMODULES:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
