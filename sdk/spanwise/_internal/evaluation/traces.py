"""Traces an app already made, as rows to score: the root span's inputs and outputs and
the trace's expectations, so ``evaluate(data=traces)`` and ``score_traces`` judge what
was answered (in production, or in an earlier run) instead of calling the app again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidParameterError
from .result import EvaluationRow

if TYPE_CHECKING:
    from ..client import Client
    from ..types import Span, Trace

__all__ = ["complete_root", "is_trace_data", "load_traces", "trace_row"]


def is_trace_data(data: Any) -> bool:
    """``data`` is traces: ``Trace`` / ``TraceInfo`` objects (``search_traces``), or a
    DataFrame of them (``return_type="pandas"``: a ``trace_id`` column, no ``inputs``)."""
    from ..types import Trace, TraceInfo

    if hasattr(data, "columns") and hasattr(data, "to_dict"):
        columns = set(data.columns)
        return "trace_id" in columns and "inputs" not in columns
    if isinstance(data, (Trace, TraceInfo)):
        return True
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)) and data:
        return all(isinstance(item, (Trace, TraceInfo)) for item in data)
    return False


def load_traces(data: Any, client: Client) -> list[Trace]:
    """Each trace of ``data`` with its spans and assessments, in order; a trace the
    collector does not have is an ``InvalidParameterError`` before anything is scored."""
    from ..types import Trace, TraceInfo

    if hasattr(data, "columns"):
        items: list[Any] = [str(tid) for tid in data["trace_id"]]
    elif isinstance(data, (Trace, TraceInfo)):
        items = [data]
    else:
        items = list(data)
    traces = []
    for item in items:
        if isinstance(item, Trace):
            if item.data.spans:
                traces.append(item)  # searched with include_spans: assessments came with it
                continue
            trace_id = item.info.trace_id
        else:  # a TraceInfo, or an id from a DataFrame
            trace_id = item if isinstance(item, str) else item.trace_id
        trace = client.get_trace(trace_id)
        if trace is None:
            raise InvalidParameterError(f"no trace {trace_id} on the collector")
        traces.append(trace)
    if len({t.info.trace_id for t in traces}) < len(traces):
        raise InvalidParameterError("data lists a trace twice; each trace is scored once")
    return traces


def complete_root(trace: Trace) -> Span | None:
    """The trace's root span — the one without a parent —, or ``None`` while the trace is
    still running (a root span is exported when it ends, after its children)."""
    return next((s for s in trace.data.spans if s.parent_id is None), None)


def trace_row(trace: Trace) -> EvaluationRow:
    """The trace as a row: record id = trace id, the root's inputs and outputs, the newest
    expectation of each name; ``error`` when there is nothing to score (the app failed,
    or the trace has no root span)."""
    expectations = _expectations(trace)
    row = EvaluationRow(trace.info.trace_id, {}, expectations, trace_id=trace.info.trace_id)
    root = complete_root(trace)
    if root is None:
        return replace(row, error="the trace has no root span (not ended, or not exported)")
    inputs = root.inputs if root.inputs is not None else {}
    if root.status == "ERROR":
        message = root.status_message or "the app raised"
        return replace(row, inputs=inputs, error=f"the trace ended in an error: {message}")
    return replace(row, inputs=inputs, outputs=root.outputs)


def _expectations(trace: Trace) -> dict[str, Any]:
    newest: dict[str, Any] = {}
    for a in trace.info.assessments:
        if a.kind != "expectation" or a.error is not None:
            continue
        kept = newest.get(a.name)
        if kept is None or a.last_update_time_ms >= kept.last_update_time_ms:
            newest[a.name] = a
    return {name: a.value for name, a in newest.items()}
