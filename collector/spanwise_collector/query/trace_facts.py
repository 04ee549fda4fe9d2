"""What writing about a trace after the fact needs to know of it: its project, start and
retention (assessments and tag edits are kept as long as the trace), and that it exists."""

from __future__ import annotations

from dataclasses import dataclass

from ..store import ClickHouseStore
from .errors import NotFound, QueryError
from .traces import IN_BOUNDS, TRACE_BOUNDS

__all__ = ["TraceFacts", "trace_facts"]

# The trace's project, start and retention (and whether it has the span), read the way
# one trace by id is: trace_times bounds the day parts of otel_traces that are read.
_TRACE = (
    f"{TRACE_BOUNDS}SELECT any(Project), toUnixTimestamp64Nano(min(Timestamp)),"
    " max(RetentionDays), countIf(SpanId = {span:String}), count() FROM otel_traces"
    f" PREWHERE TraceId IN {{ids:Array(String)}} WHERE {IN_BOUNDS}"
)


@dataclass(frozen=True)
class TraceFacts:
    project: str
    start_ns: int
    retention_days: int


def trace_facts(store: ClickHouseStore, trace_id: str, span_id: str = "") -> TraceFacts:
    """The trace's facts; NotFound when no span of it is stored, QueryError when
    ``span_id`` is given and the trace has no such span."""
    rows = store.query(_TRACE, {"ids": [trace_id], "span": span_id})
    project, start_ns, retention, span_hits, spans = rows[0] if rows else ("", 0, 0, 0, 0)
    if not spans:
        raise NotFound(
            f"no trace with id {trace_id}: none of its spans reached the collector (spans "
            "leave the application when they end: write assessments or tags after the traced "
            "call returned)"
        )
    if span_id and not span_hits:
        raise QueryError(f"trace {trace_id} has no span with id {span_id}")
    return TraceFacts(project, int(start_ns), int(retention))
