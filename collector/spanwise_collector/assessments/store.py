"""Assessments in ``trace_assessments``: log, update, delete, read.

Every change inserts a whole snapshot with a higher ``Version`` (see
``store/assessments_ddl.py``); reads keep the newest snapshot per assessment. A change
is acknowledged once its insert returned: nothing answered with success is lost.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace
from typing import Any

from ..query.errors import NotFound, QueryError
from ..query.trace_facts import TraceFacts, trace_facts
from ..query.traces import IN_BOUNDS, TRACE_BOUNDS, validate_trace_id
from ..store import ClickHouseStore
from ..store.assessments_ddl import ASSESSMENTS_TABLE
from ..store.versions import utc
from .model import AssessmentInput, AssessmentUpdate, text_value

__all__ = [
    "attach_assessments",
    "delete_assessment",
    "list_assessments",
    "log_assessment",
    "log_assessments",
    "trace_assessments",
    "update_assessment",
]

# A record: one version of an assessment, the columns below with times as epoch integers
# (created_ms, updated_ms, trace_start_ns) whatever the engine's or the machine's zone.
_PLAIN = ("TraceId", "AssessmentId", "SpanId", "Project", "Kind", "Name", "Value", "TextValue",
          "SourceType", "SourceId", "Rationale", "Metadata", "ErrorCode", "ErrorMessage",
          "Deleted", "Version", "RetentionDays")  # fmt: skip
_TIMES = (("CreatedAt", "created_ms", 3), ("UpdatedAt", "updated_ms", 3),
          ("TraceStart", "trace_start_ns", 9))  # fmt: skip
_READ = ", ".join(
    [
        *_PLAIN,
        *(f"toUnixTimestamp64{'Milli' if p == 3 else 'Nano'}({c}) AS {k}" for c, k, p in _TIMES),
    ]
)

# The same for many traces at once (a batch of assessments): the spans named by the batch.
_TRACES = (
    f"{TRACE_BOUNDS}SELECT TraceId, any(Project), toUnixTimestamp64Nano(min(Timestamp)),"
    " max(RetentionDays), groupUniqArrayIf(SpanId, has({spans:Array(String)}, SpanId))"
    f" FROM otel_traces PREWHERE TraceId IN {{ids:Array(String)}} WHERE {IN_BOUNDS}"
    " GROUP BY TraceId"
)

# Every version; the newest per assessment is picked in Python: without ORDER BY and
# LIMIT BY the query plans faster (3.7 vs 4.8 ms p50 next to a 1M-span store), and it
# runs beside each trace by id.
_ALL_VERSIONS = f"SELECT {_READ} FROM {ASSESSMENTS_TABLE} WHERE TraceId IN {{ids:Array(String)}}"
_ONE = f"{_ALL_VERSIONS} AND AssessmentId = {{aid:String}}"


def _to_json(row: dict[str, Any]) -> dict[str, Any]:
    error = None
    if row["ErrorCode"] or row["ErrorMessage"]:
        error = {
            "error_code": row["ErrorCode"] or None,
            "error_message": row["ErrorMessage"] or None,
        }
    return {
        "assessment_id": row["AssessmentId"],
        "trace_id": row["TraceId"],
        "span_id": row["SpanId"] or None,
        "kind": row["Kind"],
        "name": row["Name"],
        "value": json.loads(row["Value"]) if row["Value"] else None,
        "source": {"source_type": row["SourceType"], "source_id": row["SourceId"] or None},
        "rationale": row["Rationale"] or None,
        "metadata": dict(row["Metadata"]),
        "error": error,
        "create_time_ms": int(row["created_ms"]),
        "last_update_time_ms": int(row["updated_ms"]),
    }


def trace_assessments(store: ClickHouseStore, trace_ids: list[str]) -> dict[str, list[dict]]:
    """The live assessments of each trace, oldest first (one query for all traces)."""
    if not trace_ids:
        return {}
    out: dict[str, list[dict]] = {}
    for row in _newest(store, _ALL_VERSIONS, {"ids": trace_ids}):
        out.setdefault(row["TraceId"], []).append(_to_json(row))
    return out


def _newest(store: ClickHouseStore, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The newest version of each assessment ``sql`` reads, unless deleted; oldest first."""
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in store.query_dicts(sql, params):
        key = (row["TraceId"], row["AssessmentId"])
        seen = newest.get(key)
        if seen is None or row["Version"] > seen["Version"]:
            newest[key] = row
    live = [row for row in newest.values() if not row["Deleted"]]
    return sorted(live, key=lambda r: (r["created_ms"], r["AssessmentId"]))


def attach_assessments(store: ClickHouseStore, traces: list[dict[str, Any]]) -> None:
    """Add ``info.assessments`` to each ``{"info": ...}`` trace (one query for all)."""
    found = trace_assessments(store, [t["info"]["trace_id"] for t in traces])
    for t in traces:
        t["info"]["assessments"] = found.get(t["info"]["trace_id"], [])


def _record(
    trace_id: str, assessment_id: str, item: AssessmentInput, trace: TraceFacts, created_ms: int,
    version: int, deleted: bool = False,
) -> dict[str, Any]:  # fmt: skip
    return {
        "TraceId": trace_id, "AssessmentId": assessment_id, "SpanId": item.span_id,
        "Project": trace.project, "Kind": item.kind, "Name": item.name,
        "Value": item.value_json, "TextValue": text_value(item.value_json),
        "SourceType": item.source_type, "SourceId": item.source_id,
        "Rationale": item.rationale, "Metadata": dict(item.metadata),
        "ErrorCode": item.error_code, "ErrorMessage": item.error_message,
        "Deleted": int(deleted), "Version": version, "RetentionDays": trace.retention_days,
        "created_ms": created_ms, "updated_ms": version // 1_000_000,
        "trace_start_ns": trace.start_ns,
    }  # fmt: skip


def _insert(store: ClickHouseStore, record: dict[str, Any]) -> dict[str, Any]:
    return _insert_all(store, [record])[0]


def _insert_all(store: ClickHouseStore, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [[r[c] for c in _PLAIN] + [utc(r[k], p) for _, k, p in _TIMES] for r in records]
    store.insert_rows(ASSESSMENTS_TABLE, rows, [*_PLAIN, *(c for c, _, _ in _TIMES)])
    return [_to_json(r) for r in records]


def _new_id(version: int) -> str:
    """``a-`` + the creating version + randomness: assessments made in the same
    millisecond (a batch) list in the order they were made (reads sort by time, then id)."""
    return f"a-{version:016x}{uuid.uuid4().hex[:16]}"


def _given(
    store: ClickHouseStore, trace_ids: list[str], assessment_ids: list[str]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The live assessments among ``assessment_ids`` of these traces, by (trace, id)."""
    if not assessment_ids:
        return {}
    sql = f"{_ALL_VERSIONS} AND AssessmentId IN {{aids:Array(String)}}"
    rows = _newest(store, sql, {"ids": trace_ids, "aids": assessment_ids})
    return {(r["TraceId"], r["AssessmentId"]): r for r in rows}


def log_assessments(
    store: ClickHouseStore,
    items: list[tuple[str, AssessmentInput]],
    assessment_ids: list[str | None] | None = None,
) -> list[dict[str, Any]]:
    """Many assessments, of any traces, in one lookup and one insert; all or nothing: an
    unknown trace or span refuses the whole batch before anything is written.

    ``assessment_ids``: per item, an id the sender chose (a Langfuse score's), or None.
    One already on the trace gets a new version instead of a second assessment, keeping
    its creation time: a score sent again, or sent again changed, stays one (Langfuse
    upserts scores by id)."""
    ids = list(dict.fromkeys(validate_trace_id(tid) for tid, _ in items))
    chosen = assessment_ids or [None] * len(items)
    existing = _given(store, ids, [aid for aid in chosen if aid])
    spans = list({item.span_id for _, item in items if item.span_id})
    traces = {
        str(tid): (TraceFacts(project, int(start_ns), int(retention)), set(found))
        for tid, project, start_ns, retention, found in store.query(
            _TRACES, {"ids": ids, "spans": spans}
        )
    }  # fmt: skip
    records = []
    version = time.time_ns()
    for at, (trace_id, item) in enumerate(items):
        tid = validate_trace_id(trace_id)
        if tid not in traces:
            raise NotFound(
                f"assessments[{at}]: no trace with id {tid} (spans leave the application when "
                "they end: log assessments after the traced call returned)"
            )
        trace, found_spans = traces[tid]
        if item.span_id and item.span_id not in found_spans:
            raise QueryError(f"assessments[{at}]: trace {tid} has no span with id {item.span_id}")
        version += 1  # one version each, in the batch's order
        aid = chosen[at] or _new_id(version)
        old = existing.get((tid, aid))
        if old is None:
            records.append(_record(tid, aid, item, trace, version // 1_000_000, version))
        else:
            version = max(version, int(old["Version"]) + 1)
            records.append(_record(tid, aid, item, trace, int(old["created_ms"]), version))
    return _insert_all(store, records)


def log_assessment(store: ClickHouseStore, trace_id: str, item: AssessmentInput) -> dict:
    """Store a new assessment of an existing trace; returns it as the API shows it."""
    tid = validate_trace_id(trace_id)
    trace = trace_facts(store, tid, item.span_id)
    version = time.time_ns()
    return _insert(
        store, _record(tid, _new_id(version), item, trace, version // 1_000_000, version)
    )


def list_assessments(store: ClickHouseStore, trace_id: str) -> list[dict]:
    tid = validate_trace_id(trace_id)
    found = trace_assessments(store, [tid]).get(tid)
    if found is None:
        trace_facts(store, tid)  # 404 when the trace itself is unknown
    return found or []


def _current(store: ClickHouseStore, trace_id: str, assessment_id: str) -> dict[str, Any]:
    tid = validate_trace_id(trace_id)
    rows = _newest(store, _ONE, {"ids": [tid], "aid": assessment_id})
    if not rows:
        raise NotFound(f"trace {tid} has no assessment {assessment_id}")
    return rows[0]


def _as_input(row: dict[str, Any]) -> AssessmentInput:
    return AssessmentInput(
        kind=row["Kind"], name=row["Name"], value_json=row["Value"], span_id=row["SpanId"],
        source_type=row["SourceType"], source_id=row["SourceId"], rationale=row["Rationale"],
        metadata=dict(row["Metadata"]), error_code=row["ErrorCode"],
        error_message=row["ErrorMessage"],
    )  # fmt: skip


def _again(row: dict[str, Any], item: AssessmentInput, deleted: bool = False) -> dict[str, Any]:
    """The next version of the assessment ``row`` holds."""
    trace = TraceFacts(row["Project"], int(row["trace_start_ns"]), int(row["RetentionDays"]))
    version = max(time.time_ns(), int(row["Version"]) + 1)
    return _record(row["TraceId"], row["AssessmentId"], item, trace, int(row["created_ms"]),
                   version, deleted)  # fmt: skip


def update_assessment(
    store: ClickHouseStore, trace_id: str, assessment_id: str, change: AssessmentUpdate
) -> dict:
    """A new snapshot with the changed fields; a changed value clears a judge's error."""
    row = _current(store, trace_id, assessment_id)
    item = _as_input(row)
    if change.value_json is not None:
        item = replace(item, value_json=change.value_json, error_code="", error_message="")
    if change.rationale is not None:
        item = replace(item, rationale=change.rationale)
    if change.metadata is not None:
        item = replace(item, metadata={**item.metadata, **change.metadata})
    return _insert(store, _again(row, item))


def delete_assessment(store: ClickHouseStore, trace_id: str, assessment_id: str) -> None:
    row = _current(store, trace_id, assessment_id)
    _insert(store, _again(row, _as_input(row), deleted=True))


_NAMES = (
    "SELECT Name, count() AS n FROM ("
    " SELECT argMax(Name, Version) AS Name, argMax(Kind, Version) AS Kind,"
    " argMax(Deleted, Version) AS Deleted, argMax(Project, Version) AS Project"
    f" FROM {ASSESSMENTS_TABLE} WHERE TraceStart >= {{since:DateTime64(9, 'UTC')}}"
    " GROUP BY TraceId, AssessmentId)"
    " WHERE Kind = 'feedback' AND Deleted = 0 AND ({project:String} = '' OR Project = {project:String})"
    " GROUP BY Name ORDER BY n DESC, Name LIMIT {limit:UInt32}"
)


def feedback_names(
    store: ClickHouseStore, since: Any, project: str | None = None, limit: int = 20
) -> list[tuple[str, int]]:
    """The feedback names on traces started since ``since`` (a datetime), most used
    first, with how many feedbacks each has."""
    rows = store.query(_NAMES, {"since": since, "project": project or "", "limit": limit})
    return [(str(name), int(n)) for name, n in rows]
