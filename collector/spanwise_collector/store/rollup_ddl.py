"""Migration 5: an hourly rollup of spans, so span-level analytics and cost totals over
long windows read a few rows per hour instead of scanning (and deduplicating) every span.

``span_rollup_hourly`` holds sums per (project, hour, model, provider, span type, span
name, status, cost status, retention). It is fed like ``trace_summary``: a materialized
view over every insert into ``otel_traces`` with ``CostRevision = 0`` (re-deliveries are
dropped at ingest by ``pipeline/dedup.py``), and ``spanwise reprice`` writes signed delta
rows for the spans it re-inserts (the old version's values retracted, the new one's
added; see ``costs/reprice.py``). So for every whole hour it equals the scan of the
newest version of each span. Counts and token sums are signed (Int64) for those deltas.
Token sums include every span; readers leave out spans whose cost is counted in a
child/parent by their ``CostStatus``, which is a key column for that reason.

Stores that held spans before this migration: the view only sees later inserts, so
``span_rollup_coverage`` records from which hour the rollup is complete — the epoch when
``otel_traces`` was empty (every new store), else the hour after both the newest stored
span and now (a one-hour margin for inserts in flight while the view was created).
Readers use the rollup from ``max(CompleteFrom)`` on and scan before it; a repeated
record (two collectors migrating at once) only moves that point later. No backfill: an
``INSERT … SELECT`` over all spans would race with the view and is not idempotent.
"""

from __future__ import annotations

from .ddl_spec import MaterializedView, Statement, Table

__all__ = ["ROLLUP_RECORD", "ROLLUP_STATEMENTS", "ROLLUP_TABLE"]

ROLLUP_TABLE = "span_rollup_hourly"
COVERAGE_TABLE = "span_rollup_coverage"
# Cost statuses whose tokens another span of the same call already counts (docs/pricing.md).
DEFERRED_STATUSES = ("counted_in_child", "counted_in_parent")

_KEYS = "Project, Hour, Model, Provider, SpanType, SpanName, StatusCode, CostStatus, RetentionDays"
_SUMS = ("SpanCount", "PricedSpans", "TotalCost", "InputTokens", "OutputTokens", "CachedTokens",
         "ReasoningTokens")  # fmt: skip

SPAN_ROLLUP = Table(
    name=ROLLUP_TABLE,
    columns=(
        "Project LowCardinality(String)",
        "Hour DateTime('UTC')",
        "Model LowCardinality(String)",
        "Provider LowCardinality(String)",
        "SpanType LowCardinality(String)",
        "SpanName LowCardinality(String)",
        "StatusCode LowCardinality(String)",
        "CostStatus LowCardinality(String)",
        "RetentionDays UInt16",
        "SpanCount Int64",
        "PricedSpans Int64",
        "TotalCost Decimal(38, 9)",
        "InputTokens Int64",
        "OutputTokens Int64",
        "CachedTokens Int64",
        "ReasoningTokens Int64",
    ),
    engine=f"SummingMergeTree(({', '.join(_SUMS)}))",
    # Daily partitions and the spans' TTL: rollup rows expire with the spans they sum.
    partition_by="(toDate(Hour), RetentionDays)",
    order_by=f"({_KEYS})",
    ttl="toDateTime(Hour) + toIntervalDay(RetentionDays) WHERE RetentionDays > 0",
    settings={"ttl_only_drop_parts": 1},
    # Readers always GROUP BY: any placement is right; this keeps an hour together.
    shard_by="cityHash64(Project, Hour)",
)

# The view's sums, each from the spans of one group (``deletions_ddl`` negates them).
_SUM_EXPRESSIONS = (
    ("SpanCount", "toInt64(count())"),
    ("PricedSpans", "toInt64(countIf(Cost IS NOT NULL))"),
    ("TotalCost", "sum(ifNull(Cost, toDecimal64(0, 9)))"),
    ("InputTokens", "toInt64(sum(InputTokens))"),
    ("OutputTokens", "toInt64(sum(OutputTokens))"),
    ("CachedTokens", "toInt64(sum(CachedTokens))"),
    ("ReasoningTokens", "toInt64(sum(ReasoningTokens))"),
)
# The rollup's DateTime ends in 2106; spans after it are left out.
BEFORE_2106 = "Timestamp < toDateTime64('2106-01-01 00:00:00', 9, 'UTC')"


def rollup_select(where: str, sign: str = "") -> str:
    """A view's SELECT of rollup rows from span rows (``{source}``): one row per rollup
    key, its sums preceded by ``sign`` ("-": to retract those spans)."""
    sums = ",\n".join(f"    {sign}{expr} AS {name}" for name, expr in _SUM_EXPRESSIONS)
    return f"""
SELECT
    Project,
    toStartOfHour(Timestamp, 'UTC') AS Hour,
    Model,
    Provider,
    SpanType,
    SpanName,
    StatusCode,
    CostStatus,
    RetentionDays,
{sums}
FROM {{source}}
WHERE {where}
GROUP BY Project, Hour, Model, Provider, SpanType, SpanName, StatusCode, CostStatus,
    RetentionDays
"""


SPAN_ROLLUP_MV = MaterializedView(
    name="span_rollup_hourly_mv",
    target=ROLLUP_TABLE,
    source="otel_traces",
    select=rollup_select(f"CostRevision = 0 AND {BEFORE_2106}"),
)

SPAN_ROLLUP_COVERAGE = Table(
    name=COVERAGE_TABLE,
    columns=("CompleteFrom DateTime('UTC')", "RecordedAt DateTime64(3) DEFAULT now64(3)"),
    engine="MergeTree",
    order_by="RecordedAt",
    shard_by=None,  # one row (or a few): a full copy on every node
)

ROLLUP_STATEMENTS: tuple[Statement, ...] = (SPAN_ROLLUP, SPAN_ROLLUP_MV, SPAN_ROLLUP_COVERAGE)

# Runs after the view exists (see the module docstring).
ROLLUP_RECORD: tuple[str, ...] = (
    f"INSERT INTO {{db}}.{COVERAGE_TABLE} (CompleteFrom) "
    "SELECT if(count() = 0, toDateTime(0, 'UTC'), "
    "toStartOfHour(greatest(max(Timestamp), now64(9)), 'UTC') + toIntervalHour(1)) "
    "FROM {db}.otel_traces",
)
