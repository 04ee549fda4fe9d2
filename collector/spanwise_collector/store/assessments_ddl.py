"""Migration 9: ``trace_assessments``, feedback and expectations attached to traces.

MLflow's assessments, Langfuse's scores, Phoenix's annotations: a named value about a
trace (or one of its spans) from a person, an LLM judge or code, logged after the fact.

* One row per version of an assessment. Logging, updating and deleting each insert a
  full snapshot with a higher ``Version``; readers take the newest per
  ``(TraceId, AssessmentId)`` (``LIMIT 1 BY`` / ``argMax``), never FINAL, and drop the
  snapshots marked ``Deleted``. ReplacingMergeTree(Version) folds old versions away.
* ``ORDER BY (TraceId, AssessmentId)``: read per trace, next to the trace by id; sharded
  like the spans, so a trace and its assessments live on one shard.
* ``Value`` is the JSON of the value as given; ``TextValue`` its text form ("true",
  "0.75", "good", else the JSON) for filters (``feedback.helpful = 'true'``,
  ``feedback.score > 0.5`` compares numerically).
* Durable when acknowledged: each insert fsyncs its part (settings below).
* Assessments live as long as their trace: ``TraceStart`` and ``RetentionDays`` are
  copied from the trace when the assessment is logged, and the TTL drops them with it.
"""

from __future__ import annotations

from .ddl_spec import TRACE_SHARDING, Table

__all__ = ["ASSESSMENTS_STATEMENTS", "ASSESSMENTS_TABLE"]

ASSESSMENTS_TABLE = "trace_assessments"

ASSESSMENTS = Table(
    name=ASSESSMENTS_TABLE,
    columns=(
        "TraceId String",
        "AssessmentId String",
        "SpanId String",
        "Project LowCardinality(String)",
        "Kind LowCardinality(String)",
        "Name String",
        "Value String CODEC(ZSTD(1))",
        "TextValue String CODEC(ZSTD(1))",
        "SourceType LowCardinality(String)",
        "SourceId String",
        "Rationale String CODEC(ZSTD(1))",
        "Metadata Map(String, String)",
        "ErrorCode String",
        "ErrorMessage String",
        "CreatedAt DateTime64(3)",
        "UpdatedAt DateTime64(3)",
        "Deleted UInt8",
        "Version UInt64",
        "TraceStart DateTime64(9)",
        "RetentionDays UInt16",
    ),
    engine="ReplacingMergeTree(Version)",
    order_by="(TraceId, AssessmentId)",
    ttl="toDateTime(TraceStart) + toIntervalDay(RetentionDays) WHERE RetentionDays > 0",
    # The API answers once the insert returned; spans get there through the fsynced
    # spool, assessments (few, small) by syncing their part at insert.
    settings={"fsync_after_insert": 1, "fsync_part_directory": 1},
    shard_by=TRACE_SHARDING,
)

ASSESSMENTS_STATEMENTS = (ASSESSMENTS,)
