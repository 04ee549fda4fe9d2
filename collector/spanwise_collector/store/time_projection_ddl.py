"""Migration 8: ``p_time``, a projection of ``otel_traces``' light columns in time order.

The spans table is ORDER BY (TraceId, SpanId) and partitioned by day, so any time-range
read (the edge hours of a rollup, the span predicates of a trace search over the last
day) scans whole day partitions: ~140k spans a day at 1M spans, ~1.4M at 10M. Inside
the projection rows are sorted by Timestamp, so ClickHouse reads only the granules of
the range, and of fewer columns. The optimizer picks it by itself when a query (without
FINAL) reads only its columns and it costs fewer marks; results are the same rows.

Measured on the 1M-span benchmark store (tests/bench/QUERY-PROFILE.md, session 4): the
rollup's edge scan ~18 -> ~11 ms, a search's span subquery for a common model ~31 ->
~24 ms; ~28 bytes per span more on disk (TraceId compresses well in time order; SpanId
and the maps, texts and events are left out).

ReplacingMergeTree refuses projections unless told what merges that drop duplicate rows
do with them: ``rebuild`` recomputes the projection of the merged part. Parts written
before the migration get it from ``MATERIALIZE PROJECTION`` (a background mutation);
until then they are read as before.
"""

from __future__ import annotations

__all__ = ["TIME_PROJECTION", "TIME_PROJECTION_STATEMENTS"]

TIME_PROJECTION = "p_time"

# The columns of time-range reads: rollup edges (analytics and costs keys and metrics,
# CostRevision) and common span filters (model, provider, type, name, status, cost,
# tokens, duration).
_COLUMNS = (
    "Timestamp, TraceId, Project, SpanName, SpanType, Model, Provider, StatusCode, Duration,"
    " Cost, CostStatus, InputTokens, OutputTokens, CachedTokens, ReasoningTokens, CostRevision"
)

TIME_PROJECTION_STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE {db}.otel_traces MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild'",
    f"ALTER TABLE {{db}}.otel_traces ADD PROJECTION IF NOT EXISTS {TIME_PROJECTION}"
    f" (SELECT {_COLUMNS} ORDER BY Timestamp)",
    f"ALTER TABLE {{db}}.otel_traces MATERIALIZE PROJECTION {TIME_PROJECTION}",
)
