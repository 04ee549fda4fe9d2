"""Migration 6: ``trace_times``, each trace's time range keyed by trace id alone.

One trace by id reads ``otel_traces`` (ORDER BY TraceId, SpanId; PARTITION BY day)
only in the parts whose Timestamp range holds the trace, from a bound looked up first
(``query/traces.py``). ``trace_summary`` can give that bound, but it is partitioned by
day with 8,192-row granules: right after a bulk load (~160 unmerged parts at 1M spans)
the lookup read a TraceId granule in every part, ~40 MB, and made one trace by id cost
100+ ms. This table is the OpenTelemetry exporter's ``otel_traces_trace_id_ts`` idea:
not partitioned by time (merges keep it to a few parts), 256-row granules of ~50-byte
rows, so a lookup is one small granule per part.

Rows are (TraceId, min start, max end) per insert block, merged by min/max: repeats are
harmless, so the backfill from ``trace_summary`` (stores that held spans before this
migration) may run twice or overlap the view. Retention deletes rows in merges (no time
partitions to drop), a trace's row outliving its spans by at most a merge.
"""

from __future__ import annotations

from .ddl_spec import MaterializedView, Statement, Table

__all__ = ["TRACE_TIMES_RECORD", "TRACE_TIMES_STATEMENTS", "TRACE_TIMES_TABLE"]

TRACE_TIMES_TABLE = "trace_times"

TRACE_TIMES = Table(
    name=TRACE_TIMES_TABLE,
    columns=(
        "TraceId String",
        "Start SimpleAggregateFunction(min, DateTime64(9))",
        "End SimpleAggregateFunction(max, DateTime64(9))",
        "RetentionDays UInt16",
    ),
    engine="AggregatingMergeTree",
    partition_by="RetentionDays",
    order_by="TraceId",
    ttl="toDateTime(End) + toIntervalDay(RetentionDays) WHERE RetentionDays > 0",
    settings={"index_granularity": 256},
)

TRACE_TIMES_MV = MaterializedView(
    name="trace_times_mv",
    target=TRACE_TIMES_TABLE,
    source="otel_traces",
    select="""
SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp + toIntervalNanosecond(Duration)) AS End,
    RetentionDays
FROM {source}
GROUP BY TraceId, RetentionDays
""",
)

TRACE_TIMES_STATEMENTS: tuple[Statement, ...] = (TRACE_TIMES, TRACE_TIMES_MV)

# After the view exists: the traces stored before it, from their summaries.
TRACE_TIMES_RECORD: tuple[str, ...] = (
    f"INSERT INTO {{db}}.{TRACE_TIMES_TABLE} (TraceId, Start, End, RetentionDays) "
    "SELECT TraceId, min(Start), max(End), RetentionDays FROM {db}.trace_summary "
    "GROUP BY TraceId, RetentionDays",
)
