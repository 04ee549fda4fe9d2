"""Set and remove a trace's tags after the fact; read the edits beside a trace.

An edit is acknowledged once both its rows are in (``trace_tag_edits``, fsynced, and the
encoded summary row); a failure between the two is retried by the caller with the same
effect (the newer version wins in both)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..query.trace_facts import TraceFacts, trace_facts
from ..query.traces import validate_trace_id
from ..store import ClickHouseStore
from ..store.trace_tags_ddl import TAG_EDITS_TABLE
from ..store.versions import next_version, utc
from .encoding import encode
from .model import check_keys, check_tags

__all__ = ["apply_edits", "delete_trace_tags", "set_trace_tags", "tag_edits"]

_COLUMNS = ("TraceId", "Key", "Value", "Deleted", "Version", "Project", "UpdatedAt",
            "TraceStart", "RetentionDays")  # fmt: skip

# A partial summary row carrying only the edits: its other columns keep their neutral
# defaults (0, '', {}), and Start/End are the trace's first start, so merging it changes
# neither the trace's times nor its partition.
_SUMMARY_ROW = (
    "INSERT INTO trace_summary (Project, TraceId, Start, End, Tags, RetentionDays)"
    " SELECT Project, TraceId, min(Start), min(Start),"
    " mapFromArrays({keys:Array(String)}, {values:Array(String)}), RetentionDays"
    " FROM trace_summary WHERE Project = {project:String} AND TraceId = {tid:String}"
    " GROUP BY Project, TraceId, RetentionDays"
)

# Every version of the traces' edits; the newest per key is picked in Python.
_EDITS = (
    f"SELECT TraceId, Key, Value, Deleted, Version FROM {TAG_EDITS_TABLE}"
    " WHERE TraceId IN {ids:Array(String)}"
)


def _write(store: ClickHouseStore, tid: str, edits: Mapping[str, str | None]) -> None:
    facts: TraceFacts = trace_facts(store, tid)
    version = next_version()
    now = utc(version // 1_000_000)
    start = utc(facts.start_ns, 9)
    rows = [
        [tid, key, value or "", int(value is None), version, facts.project, now, start,
         facts.retention_days]
        for key, value in edits.items()
    ]  # fmt: skip
    store.insert_rows(TAG_EDITS_TABLE, rows, _COLUMNS)
    store.command(
        _SUMMARY_ROW,
        {
            "keys": list(edits),
            "values": [encode(version, value) for value in edits.values()],
            "project": facts.project,
            "tid": tid,
        },
    )


def set_trace_tags(store: ClickHouseStore, trace_id: str, tags: Mapping[str, str]) -> dict:
    """Set ``tags`` on the trace (new keys added, existing ones replaced)."""
    tid = validate_trace_id(trace_id)
    checked = check_tags(tags)
    _write(store, tid, checked)
    return {"trace_id": tid, "tags": checked}


def delete_trace_tags(store: ClickHouseStore, trace_id: str, keys: Sequence[str]) -> None:
    """Remove ``keys`` from the trace's tags (a key it does not have is no error)."""
    tid = validate_trace_id(trace_id)
    _write(store, tid, dict.fromkeys(check_keys(keys)))


def tag_edits(store: ClickHouseStore, trace_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per trace, the newest edit of each key: its value, or ``None`` when removed."""
    if not trace_ids:
        return {}
    newest: dict[tuple[str, str], tuple[int, str | None]] = {}
    for tid, key, value, deleted, version in store.query(_EDITS, {"ids": list(trace_ids)}):
        seen = newest.get((tid, key))
        if seen is None or version > seen[0]:
            newest[(tid, key)] = (version, None if deleted else value)
    out: dict[str, dict[str, Any]] = {}
    for (tid, key), (_, value) in newest.items():
        out.setdefault(tid, {})[key] = value
    return out


def apply_edits(tags: Mapping[str, str], edits: Mapping[str, str | None]) -> dict[str, str]:
    """The spans' tags with the edits applied."""
    out = dict(tags)
    for key, value in edits.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out
