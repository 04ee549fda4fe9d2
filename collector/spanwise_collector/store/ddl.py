"""The one source of the storage schema, for a single node (chDB or server).

Access paths and why the keys are what they are:

* ``otel_traces`` (spans) is column-compatible with the OpenTelemetry Collector
  ClickHouse exporter (Grafana's trace view reads it) plus typed columns the
  collector derives. ``ORDER BY (TraceId, SpanId)``: fetching one trace by id —
  the most frequent query — is a primary-key range read of a few granules per
  daily partition, with no lookup table; the small ``index_granularity`` keeps
  those granules (and the heavy attribute/prompt columns read with them) small.
  The key ends in (TraceId, SpanId) so the ReplacingMergeTree only ever merges
  re-deliveries of the same span. ``PARTITION BY toDate(Timestamp)`` bounds
  time-range scans of span searches and lets TTL drop whole days.
* ``trace_summary`` is one pre-aggregated row per trace and insert block, kept
  by a materialized view; listing recent traces of a project in a time range
  reads it (partition pruning by day, ``ORDER BY (Project, TraceId)``) and
  merges partial rows of the same trace with GROUP BY, never ``FINAL``.
* ``schema_migrations`` records applied versions.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIGRATIONS", "Migration", "render"]

_ATTR_MAP = "Map(LowCardinality(String), String)"


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


SPANS_TABLE = f"""
CREATE TABLE IF NOT EXISTS {{db}}.otel_traces (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes {_ATTR_MAP} CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes {_ATTR_MAP} CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes {_ATTR_MAP}
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes {_ATTR_MAP}
    ) CODEC(ZSTD(1)),
    Project LowCardinality(String) CODEC(ZSTD(1)),
    SpanType LowCardinality(String) CODEC(ZSTD(1)),
    Input String CODEC(ZSTD(3)),
    Output String CODEC(ZSTD(3)),
    Model LowCardinality(String) CODEC(ZSTD(1)),
    Provider LowCardinality(String) CODEC(ZSTD(1)),
    InputTokens UInt64 CODEC(T64, ZSTD(1)),
    OutputTokens UInt64 CODEC(T64, ZSTD(1)),
    CachedTokens UInt64 CODEC(T64, ZSTD(1)),
    CacheWriteTokens UInt64 CODEC(T64, ZSTD(1)),
    ReasoningTokens UInt64 CODEC(T64, ZSTD(1)),
    Cost Nullable(Decimal(18, 9)) CODEC(ZSTD(1)),
    CostBreakdown Map(LowCardinality(String), Decimal(18, 9)) CODEC(ZSTD(1)),
    CostStatus LowCardinality(String) CODEC(ZSTD(1)),
    PricingVersion LowCardinality(String) CODEC(ZSTD(1)),
    SessionId String CODEC(ZSTD(1)),
    UserId String CODEC(ZSTD(1)),
    RunId String CODEC(ZSTD(1)),
    TraceTags {_ATTR_MAP} CODEC(ZSTD(1)),
    TraceMetadata {_ATTR_MAP} CODEC(ZSTD(1)),
    IngestedAt DateTime64(3) DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
    INDEX idx_session SessionId TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_user UserId TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_run RunId TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_ts Timestamp TYPE minmax GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = ReplacingMergeTree(IngestedAt)
PARTITION BY toDate(Timestamp)
ORDER BY (TraceId, SpanId)
SETTINGS index_granularity = 1024, ttl_only_drop_parts = 1
"""

# One partial row per (trace, insert block); readers GROUP BY TraceId.
# Status: 1 when the root span (no parent) failed.
TRACE_SUMMARY_TABLE = """
CREATE TABLE IF NOT EXISTS {db}.trace_summary (
    Project LowCardinality(String),
    TraceId String,
    Start SimpleAggregateFunction(min, DateTime64(9)),
    End SimpleAggregateFunction(max, DateTime64(9)),
    RootSpanId SimpleAggregateFunction(max, String),
    Name SimpleAggregateFunction(max, String),
    RootError SimpleAggregateFunction(max, UInt8),
    ErrorCount SimpleAggregateFunction(sum, UInt64),
    SpanCount SimpleAggregateFunction(sum, UInt64),
    InputTokens SimpleAggregateFunction(sum, UInt64),
    OutputTokens SimpleAggregateFunction(sum, UInt64),
    TotalCost SimpleAggregateFunction(sum, Decimal(38, 9)),
    PricedSpans SimpleAggregateFunction(sum, UInt64),
    ServiceName SimpleAggregateFunction(max, String),
    SessionId SimpleAggregateFunction(max, String),
    UserId SimpleAggregateFunction(max, String),
    RunId SimpleAggregateFunction(max, String),
    Tags SimpleAggregateFunction(maxMap, Map(String, String)),
    Metadata SimpleAggregateFunction(maxMap, Map(String, String)),
    INDEX idx_start Start TYPE minmax GRANULARITY 1,
    INDEX idx_session SessionId TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_run RunId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = AggregatingMergeTree
PARTITION BY toDate(Start)
ORDER BY (Project, TraceId)
SETTINGS ttl_only_drop_parts = 1
"""

TRACE_SUMMARY_MV = """
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.trace_summary_mv TO {db}.trace_summary AS
SELECT
    Project,
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp + toIntervalNanosecond(Duration)) AS End,
    maxIf(SpanId, ParentSpanId = '') AS RootSpanId,
    maxIf(SpanName, ParentSpanId = '') AS Name,
    maxIf(toUInt8(StatusCode = 'Error'), ParentSpanId = '') AS RootError,
    countIf(StatusCode = 'Error') AS ErrorCount,
    count() AS SpanCount,
    sum(InputTokens) AS InputTokens,
    sum(OutputTokens) AS OutputTokens,
    sum(ifNull(Cost, toDecimal64(0, 9))) AS TotalCost,
    countIf(Cost IS NOT NULL) AS PricedSpans,
    maxIf(toString(ServiceName), ParentSpanId = '') AS ServiceName,
    max(SessionId) AS SessionId,
    max(UserId) AS UserId,
    max(RunId) AS RunId,
    maxMap(CAST(TraceTags, 'Map(String, String)')) AS Tags,
    maxMap(CAST(TraceMetadata, 'Map(String, String)')) AS Metadata
FROM {db}.otel_traces
GROUP BY Project, TraceId
"""

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS {db}.schema_migrations (
    Version UInt32,
    Description String,
    AppliedAt DateTime64(3) DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(AppliedAt)
ORDER BY Version
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "spans table and trace summary", (SPANS_TABLE, TRACE_SUMMARY_TABLE, TRACE_SUMMARY_MV)
    ),
)


def render(statement: str, database: str) -> str:
    """Fill the database name into a DDL template (names are validated by the caller)."""
    return statement.format(db=f"`{database}`").strip()
