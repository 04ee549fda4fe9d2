"""Migration 13: ``trace_tag_edits``, tags set or removed on a trace after the fact
(MLflow's ``set_trace_tag``/``delete_trace_tag``, Langfuse's trace tag updates).

A trace's tags come from its spans (``update_current_trace(tags=…)``) and are merged by
``maxMap`` in ``trace_summary``. An edit is written twice, in one request:

* here, one row per (trace, key) and version (newest wins, ``Deleted`` removes), read
  beside one trace by id (``ORDER BY (TraceId, Key)``: a point read);
* into ``trace_summary``, as a partial summary row whose ``Tags`` hold the edit encoded
  so that ``maxMap`` prefers it to any tag a span set and newer edits to older ones
  (``trace_tags/encoding.py``); every reader of the summary decodes ``Tags``, so search,
  lists, analytics and costs see edited tags without a join.

Edits live as long as their trace: ``TraceStart``/``RetentionDays`` are the trace's, and
deleting the trace deletes them. Inserts fsync, like assessments.
"""

from __future__ import annotations

from .ddl_spec import TRACE_SHARDING, Table

__all__ = ["TAG_EDITS_TABLE", "TRACE_TAGS_STATEMENTS"]

TAG_EDITS_TABLE = "trace_tag_edits"

TAG_EDITS = Table(
    name=TAG_EDITS_TABLE,
    columns=(
        "TraceId String",
        "Key String",
        "Value String CODEC(ZSTD(1))",
        "Deleted UInt8",
        "Version UInt64",
        "Project LowCardinality(String)",
        "UpdatedAt DateTime64(3)",
        "TraceStart DateTime64(9)",
        "RetentionDays UInt16",
    ),
    engine="ReplacingMergeTree(Version)",
    order_by="(TraceId, Key)",
    ttl="toDateTime(TraceStart) + toIntervalDay(RetentionDays) WHERE RetentionDays > 0",
    settings={"fsync_after_insert": 1, "fsync_part_directory": 1},
    shard_by=TRACE_SHARDING,
)

TRACE_TAGS_STATEMENTS = (TAG_EDITS,)
