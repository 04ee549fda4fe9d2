"""Migration 10: deleting traces (MLflow's ``delete_traces``, Langfuse's and Phoenix's
trace deletion): a journal of deleted spans that also retracts them from the rollup.

Deleting a trace removes its rows from ``otel_traces``, ``trace_summary``,
``trace_times``, ``trace_assessments`` and ``trace_tag_edits`` with lightweight ``DELETE`` (rows are masked at
once and dropped by merges). The hourly rollup cannot lose a trace that way: its rows sum
many traces. So before anything is deleted, the newest version of each span goes into
``deleted_spans``, and a view over that table inserts the same spans negated into
``span_rollup_hourly`` — the journal row and its retraction are one insert, so a crash
cannot leave one without the other. A retried deletion leaves out span versions already
journaled: each version is retracted once, however often the deletion runs, and a span
re-delivered after its trace was deleted (a new ``IngestedAt``) is counted and retracted
again. The spans go last; a collector that starts finds journaled versions still stored
(a deletion it crashed in) and finishes their deletion (``deletion.finish_pending``).

The journal is kept 30 days (``JOURNAL_DAYS``): the horizon within which an unfinished
deletion is finished at start-up.
"""

from __future__ import annotations

from .ddl_spec import TRACE_SHARDING, MaterializedView, Statement, Table
from .rollup_ddl import BEFORE_2106, ROLLUP_TABLE, rollup_select

__all__ = ["DELETED_SPANS_TABLE", "DELETION_STATEMENTS", "JOURNAL_DAYS"]

DELETED_SPANS_TABLE = "deleted_spans"
JOURNAL_DAYS = 30

# The span's version and what the rollup summed of it (types as in otel_traces).
JOURNAL_COLUMNS = (
    "TraceId", "SpanId", "IngestedAt", "Project", "Timestamp", "Model", "Provider",
    "SpanType", "SpanName", "StatusCode", "CostStatus", "RetentionDays", "Cost",
    "InputTokens", "OutputTokens", "CachedTokens", "ReasoningTokens",
)  # fmt: skip

DELETED_SPANS = Table(
    name=DELETED_SPANS_TABLE,
    columns=(
        "TraceId String",
        "SpanId String",
        "IngestedAt DateTime64(3)",
        "Project LowCardinality(String)",
        "Timestamp DateTime64(9)",
        "Model LowCardinality(String)",
        "Provider LowCardinality(String)",
        "SpanType LowCardinality(String)",
        "SpanName LowCardinality(String)",
        "StatusCode LowCardinality(String)",
        "CostStatus LowCardinality(String)",
        "RetentionDays UInt16",
        "Cost Nullable(Decimal(18, 9))",
        "InputTokens UInt64",
        "OutputTokens UInt64",
        "CachedTokens UInt64",
        "ReasoningTokens UInt64",
        "DeletedAt DateTime64(3) DEFAULT now64(3)",
    ),
    engine="MergeTree",
    order_by="(TraceId, SpanId, IngestedAt)",
    ttl=f"toDateTime(DeletedAt) + toIntervalDay({JOURNAL_DAYS})",
    # A deletion is answered after its journal insert: sync the part as assessments do.
    settings={"fsync_after_insert": 1, "fsync_part_directory": 1},
    shard_by=TRACE_SHARDING,
)

# The rollup view's sums (store/rollup_ddl.py), negated. Its rows cancel the spans'
# contribution whatever its cost revision: the rollup holds each span's newest version
# (the view's insert plus reprice's deltas), and the journal holds that version.
DELETED_SPANS_ROLLUP_MV = MaterializedView(
    name="deleted_spans_rollup_mv",
    target=ROLLUP_TABLE,
    source=DELETED_SPANS_TABLE,
    select=rollup_select(BEFORE_2106, sign="-"),
)

DELETION_STATEMENTS: tuple[Statement, ...] = (
    # Lightweight deletes on a table with a projection: rebuild it in the touched parts.
    "ALTER TABLE {db}.otel_traces MODIFY SETTING lightweight_mutation_projection_mode = 'rebuild'",
    DELETED_SPANS,
    DELETED_SPANS_ROLLUP_MV,
)
