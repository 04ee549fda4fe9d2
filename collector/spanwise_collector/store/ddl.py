"""The one source of the storage schema: every table declared once, rendered for a
single node (chDB or one server) or a cluster by ``ddl_render``.

Access paths and why the keys are what they are:

* ``otel_traces`` (spans) is column-compatible with the OpenTelemetry Collector
  ClickHouse exporter (Grafana's trace view reads it) plus typed columns the
  collector derives. ``ORDER BY (TraceId, SpanId)``: fetching one trace by id —
  the most frequent query — is a primary-key range read of a few granules per
  partition, with no lookup table; the small ``index_granularity`` keeps those
  granules (and the heavy attribute/prompt columns read with them) small. The key
  ends in (TraceId, SpanId) so the ReplacingMergeTree only ever merges
  re-deliveries of the same span. ``PARTITION BY (toDate(Timestamp), RetentionDays)``
  bounds time-range scans and lets the TTL drop whole parts (see ``retention``).
* ``trace_summary`` is one pre-aggregated row per trace and insert block, kept
  by a materialized view; listing recent traces of a project in a time range
  reads it and merges partial rows of the same trace with GROUP BY, never ``FINAL``.
* ``schema_migrations`` records applied versions (bootstrap, not a migration).

On a cluster both data tables are sharded by ``cityHash64(TraceId)``: a trace's
spans, their re-deliveries and its summary rows share one shard.

How to add a table (works for single node and ``--cluster`` alike)
------------------------------------------------------------------
Append a migration with a new version; never edit an applied one::

    RUNS = Table(
        name="runs",
        columns=("RunId String", "Name String", "UpdatedAt DateTime64(3)"),
        engine="ReplacingMergeTree(UpdatedAt)",
        order_by="RunId",
        shard_by="cityHash64(RunId)",   # None: small table, a full copy on every node
    )
    MIGRATIONS = (..., Migration(2, "runs", (RUNS,)))

Views: ``MaterializedView(name, target, source, "SELECT … FROM {source} …")``.
Plain strings still work: ``"CREATE TABLE IF NOT EXISTS {db}.runs (...) ENGINE = …
ORDER BY …"`` runs as-is on a single node and is converted for a cluster (CREATE
TABLE, CREATE MATERIALIZED VIEW … TO … AS SELECT … FROM {db}.x, ALTER TABLE; see
``ddl_plain``); anything it cannot convert fails ``spanwise schema print --cluster``
with the migration's number. Every statement must be idempotent (IF NOT EXISTS /
IF EXISTS): two collectors may run a migration at the same time.
``deploy/clickhouse/*.sql`` are generated from here (``scripts/gen_ddl.py``).
"""

from __future__ import annotations

from .assessments_ddl import ASSESSMENTS_STATEMENTS
from .datasets_ddl import DATASETS_STATEMENTS
from .ddl_spec import TRACE_SHARDING, MaterializedView, Migration, Statement, Table
from .deletions_ddl import DELETION_STATEMENTS
from .prompts_ddl import PROMPTS_STATEMENTS
from .rollup_ddl import ROLLUP_RECORD, ROLLUP_STATEMENTS
from .runs_ddl import RUNS_STATEMENTS
from .time_projection_ddl import TIME_PROJECTION_STATEMENTS
from .trace_entry_ddl import trace_entry_statements
from .trace_tags_ddl import TRACE_TAGS_STATEMENTS
from .trace_times_ddl import TRACE_TIMES_RECORD, TRACE_TIMES_STATEMENTS

__all__ = [
    "MIGRATIONS",
    "MIGRATIONS_TABLE",
    "MaterializedView",
    "Migration",
    "Statement",
    "Table",
]

_ATTR_MAP = "Map(LowCardinality(String), String)"
_Z = "CODEC(ZSTD(1))"

# Rows carry their retention (DEFAULT = the policy, see retention.py); 0 = forever.
_RETENTION_TTL = "toDateTime({time}) + toIntervalDay(RetentionDays) WHERE RetentionDays > 0"

SPANS_TABLE = Table(
    name="otel_traces",
    columns=(
        "Timestamp DateTime64(9) CODEC(Delta, ZSTD(1))",
        f"TraceId String {_Z}",
        f"SpanId String {_Z}",
        f"ParentSpanId String {_Z}",
        f"TraceState String {_Z}",
        f"SpanName LowCardinality(String) {_Z}",
        f"SpanKind LowCardinality(String) {_Z}",
        f"ServiceName LowCardinality(String) {_Z}",
        f"ResourceAttributes {_ATTR_MAP} {_Z}",
        f"ScopeName String {_Z}",
        f"ScopeVersion String {_Z}",
        f"SpanAttributes {_ATTR_MAP} {_Z}",
        f"Duration UInt64 {_Z}",
        f"StatusCode LowCardinality(String) {_Z}",
        f"StatusMessage String {_Z}",
        "Events Nested(Timestamp DateTime64(9), Name LowCardinality(String), "
        f"Attributes {_ATTR_MAP}) {_Z}",
        "Links Nested(TraceId String, SpanId String, TraceState String, "
        f"Attributes {_ATTR_MAP}) {_Z}",
        f"Project LowCardinality(String) {_Z}",
        f"SpanType LowCardinality(String) {_Z}",
        "Input String CODEC(ZSTD(3))",
        "Output String CODEC(ZSTD(3))",
        f"Model LowCardinality(String) {_Z}",
        f"Provider LowCardinality(String) {_Z}",
        "InputTokens UInt64 CODEC(T64, ZSTD(1))",
        "OutputTokens UInt64 CODEC(T64, ZSTD(1))",
        "CachedTokens UInt64 CODEC(T64, ZSTD(1))",
        "CacheWriteTokens UInt64 CODEC(T64, ZSTD(1))",
        "ReasoningTokens UInt64 CODEC(T64, ZSTD(1))",
        f"Cost Nullable(Decimal(18, 9)) {_Z}",
        f"CostBreakdown Map(LowCardinality(String), Decimal(18, 9)) {_Z}",
        f"CostStatus LowCardinality(String) {_Z}",
        f"PricingVersion LowCardinality(String) {_Z}",
        f"SessionId String {_Z}",
        f"UserId String {_Z}",
        f"RunId String {_Z}",
        f"TraceTags {_ATTR_MAP} {_Z}",
        f"TraceMetadata {_ATTR_MAP} {_Z}",
        "IngestedAt DateTime64(3) DEFAULT now64(3) CODEC(Delta, ZSTD(1))",
        # >0 on rows re-inserted by `spanwise reprice`; the summary view skips them
        # (reprice writes the cost delta into trace_summary itself).
        "CostRevision UInt32 DEFAULT 0",
        "RetentionDays UInt16 DEFAULT {retention}",
    ),
    indexes=(
        "idx_session SessionId TYPE bloom_filter(0.01) GRANULARITY 1",
        "idx_user UserId TYPE bloom_filter(0.01) GRANULARITY 1",
        "idx_run RunId TYPE bloom_filter(0.01) GRANULARITY 1",
        "idx_ts Timestamp TYPE minmax GRANULARITY 1",
        "idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
        "idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
        "idx_duration Duration TYPE minmax GRANULARITY 1",
    ),
    engine="ReplacingMergeTree(IngestedAt)",
    partition_by="(toDate(Timestamp), RetentionDays)",
    order_by="(TraceId, SpanId)",
    ttl=_RETENTION_TTL.format(time="Timestamp"),
    settings={"index_granularity": 1024, "ttl_only_drop_parts": 1},
    shard_by=TRACE_SHARDING,
)

# One partial row per (trace, insert block); readers GROUP BY TraceId.
# Status: 1 when the root span (no parent) failed. A doubly recorded LLM call counts
# once: tokens of spans whose cost is counted in a child/parent are left out (see
# docs/pricing.md); rows re-inserted by `spanwise reprice` (CostRevision > 0) are skipped.
TRACE_SUMMARY_TABLE = Table(
    name="trace_summary",
    columns=(
        "Project LowCardinality(String)",
        "TraceId String",
        "Start SimpleAggregateFunction(min, DateTime64(9))",
        "End SimpleAggregateFunction(max, DateTime64(9))",
        "RootSpanId SimpleAggregateFunction(max, String)",
        "Name SimpleAggregateFunction(max, String)",
        "RootError SimpleAggregateFunction(max, UInt8)",
        "ErrorCount SimpleAggregateFunction(sum, UInt64)",
        "SpanCount SimpleAggregateFunction(sum, UInt64)",
        "InputTokens SimpleAggregateFunction(sum, UInt64)",
        "OutputTokens SimpleAggregateFunction(sum, UInt64)",
        "TotalCost SimpleAggregateFunction(sum, Decimal(38, 9))",
        "PricedSpans SimpleAggregateFunction(sum, UInt64)",
        "ServiceName SimpleAggregateFunction(max, String)",
        "SessionId SimpleAggregateFunction(max, String)",
        "UserId SimpleAggregateFunction(max, String)",
        "RunId SimpleAggregateFunction(max, String)",
        "Tags SimpleAggregateFunction(maxMap, Map(String, String))",
        "Metadata SimpleAggregateFunction(maxMap, Map(String, String))",
        "RetentionDays UInt16",
    ),
    indexes=(
        "idx_start Start TYPE minmax GRANULARITY 1",
        "idx_session SessionId TYPE bloom_filter(0.01) GRANULARITY 1",
        "idx_run RunId TYPE bloom_filter(0.01) GRANULARITY 1",
    ),
    engine="AggregatingMergeTree",
    partition_by="(toDate(Start), RetentionDays)",
    order_by="(Project, TraceId)",
    ttl=_RETENTION_TTL.format(time="Start"),
    settings={"ttl_only_drop_parts": 1},
    shard_by=TRACE_SHARDING,
)

TRACE_SUMMARY_MV = MaterializedView(
    name="trace_summary_mv",
    target="trace_summary",
    source="otel_traces",
    select="""
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
    sumIf(InputTokens, CostStatus NOT IN ('counted_in_child', 'counted_in_parent')) AS InputTokens,
    sumIf(OutputTokens, CostStatus NOT IN ('counted_in_child', 'counted_in_parent'))
        AS OutputTokens,
    sum(ifNull(Cost, toDecimal64(0, 9))) AS TotalCost,
    countIf(Cost IS NOT NULL) AS PricedSpans,
    maxIf(toString(ServiceName), ParentSpanId = '') AS ServiceName,
    max(SessionId) AS SessionId,
    max(UserId) AS UserId,
    max(RunId) AS RunId,
    maxMap(CAST(TraceTags, 'Map(String, String)')) AS Tags,
    maxMap(CAST(TraceMetadata, 'Map(String, String)')) AS Metadata,
    RetentionDays
FROM {source}
WHERE CostRevision = 0
GROUP BY Project, TraceId, RetentionDays
""",
)

# Issue 6 (trace search). `trace.text` compiles to `lower(Input) LIKE '%…%'`, which the
# text index over lower(Input)/lower(Output) answers without scanning prompts (migration 4);
# set indexes skip granules without a rare model / span type / error. Parts written before
# a migration are not indexed (no MATERIALIZE INDEX mutation on big tables); merges index
# them. Up to migration 4's release this migration also created 3-gram text indexes
# (idx_input_text, idx_output_text); migration 4 drops them where they exist. New stores
# never create them: a collector still running migration 3 would otherwise re-add one
# after a racing collector's migration 4 had dropped it, and a column takes one text index.
SEARCH_INDEXES: tuple[str, ...] = tuple(
    f"ALTER TABLE {{db}}.{table} ADD INDEX IF NOT EXISTS {index}"
    for table, index in (
        ("otel_traces", "idx_model Model TYPE set(256) GRANULARITY 4"),
        ("otel_traces", "idx_span_type SpanType TYPE set(32) GRANULARITY 4"),
        ("otel_traces", "idx_status StatusCode TYPE set(8) GRANULARITY 4"),
        ("trace_summary", "idx_user UserId TYPE bloom_filter(0.01) GRANULARITY 1"),
    )
)

# Migration 4: word tokens instead of 3-grams for the `trace.text` indexes. Measured on
# 108k benchmark spans (docs/ingest-performance.md): the 3-gram index was 316 B/span and
# ~3x the insert cost of the data; word tokens are 171 B/span, merge at no extra cost,
# and answer a substring search with no hit as fast (6-8 ms vs a 70-90 ms scan). LIKE
# stays exact either way: the index only skips granules that cannot match.
WORD_TEXT_INDEXES: tuple[str, ...] = (
    "idx_input_words lower(Input) TYPE text(tokenizer = splitByNonAlpha) GRANULARITY 64",
    "idx_output_words lower(Output) TYPE text(tokenizer = splitByNonAlpha) GRANULARITY 64",
)
TEXT_INDEX_SWAP: tuple[str, ...] = (
    "ALTER TABLE {db}.otel_traces DROP INDEX IF EXISTS idx_input_text",
    "ALTER TABLE {db}.otel_traces DROP INDEX IF EXISTS idx_output_text",
    *(f"ALTER TABLE {{db}}.otel_traces ADD INDEX IF NOT EXISTS {i}" for i in WORD_TEXT_INDEXES),
)

# Inserts leave these to merges (see pipeline.py): a part not indexed yet is scanned.
TEXT_INDEXES: tuple[str, ...] = tuple(i.split()[0] for i in WORD_TEXT_INDEXES)

# Migration 7: merges of the spans table wait for more parts of similar size (base 10
# instead of 5), so a span is rewritten fewer times on its way into a day's big part.
# Under a stream of 4k-span inserts (the collector's group commits) merge CPU fell from
# ~35 to ~20 µs/span, leaving ~14 parts per day instead of ~6 until the next, bigger
# merge (docs/ingest-performance.md, session 3). By-id reads are bounded by trace_times
# and day-window reads prune parts by their time range, so extra parts cost little.
MERGE_SELECTOR: tuple[str, ...] = (
    "ALTER TABLE {db}.otel_traces MODIFY SETTING merge_selector_base = 10",
)

# Created before anything else (bootstrap). On a cluster: one replicated copy on
# every node, so any collector, whichever node it talks to, sees every version.
MIGRATIONS_TABLE = Table(
    name="schema_migrations",
    columns=(
        "Version UInt32",
        "Description String",
        "AppliedAt DateTime64(3) DEFAULT now64(3)",
    ),
    engine="ReplacingMergeTree(AppliedAt)",
    order_by="Version",
    shard_by=None,
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "spans table and trace summary", (SPANS_TABLE, TRACE_SUMMARY_TABLE, TRACE_SUMMARY_MV)
    ),
    Migration(2, "experiments, runs, params, tags, metrics", RUNS_STATEMENTS),
    Migration(3, "search indexes: text over inputs/outputs, model/type/status", SEARCH_INDEXES),
    Migration(
        4, "text indexes over inputs/outputs: word tokens instead of 3-grams", TEXT_INDEX_SWAP
    ),
    Migration(5, "hourly span rollup for analytics", ROLLUP_STATEMENTS, ROLLUP_RECORD),
    Migration(6, "trace id -> time range lookup", TRACE_TIMES_STATEMENTS, TRACE_TIMES_RECORD),
    Migration(7, "spans table merges with less write amplification", MERGE_SELECTOR),
    Migration(8, "spans' light columns in time order (projection)", TIME_PROJECTION_STATEMENTS),
    Migration(9, "assessments (feedback, expectations) of traces", ASSESSMENTS_STATEMENTS),
    Migration(
        10, "trace deletion: journal of deleted spans, rollup retraction", DELETION_STATEMENTS
    ),
    Migration(11, "evaluation datasets and their records", DATASETS_STATEMENTS),
    Migration(12, "prompt registry: prompt versions and aliases", PROMPTS_STATEMENTS),
    Migration(13, "trace tags set or removed after the fact", TRACE_TAGS_STATEMENTS),
    Migration(
        14,
        "a trace's entry span when its root is remote (name, status)",
        trace_entry_statements(TRACE_SUMMARY_MV),
    ),
)
