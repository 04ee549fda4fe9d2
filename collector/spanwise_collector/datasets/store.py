"""Datasets and their records in ``datasets`` / ``dataset_records``: create, change,
delete, merge records, read them in pages.

Every change inserts a whole snapshot with a higher ``Version`` (see
``store/datasets_ddl.py``); reads keep the newest snapshot per dataset or record and
drop deleted ones. Changes of this process are serialised by one lock, so a name is
taken once and two merges of one record cannot lose each other's expectations (several
collectors on one cluster do not share the lock: two creating the same name at the same
moment would both succeed, and reads then show the older one). A change is acknowledged
once its insert returned (fsynced): nothing answered with success is lost.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from typing import Any

from ..query.errors import Conflict, NotFound, QueryError
from ..store import ClickHouseStore
from ..store.datasets_ddl import DATASETS_TABLE, RECORDS_TABLE
from ..store.versions import next_version, utc
from .model import DatasetChange, RecordInput

__all__ = ["create_dataset", "delete_dataset", "delete_records", "get_dataset", "get_record",
           "list_datasets", "list_records", "merge_records", "update_dataset"]  # fmt: skip

MAX_PAGE = 1_000
_LOCK = threading.Lock()

_DATASET_COLS = ("DatasetId", "Name", "Description", "Tags", "Deleted", "Version")
_RECORD_COLS = ("DatasetId", "RecordId", "Inputs", "Expectations", "Tags", "SourceTraceId",
                "CreatedSeq", "Deleted", "Version")  # fmt: skip
_TIMES = ", toUnixTimestamp64Milli(CreatedAt) AS created_ms, toUnixTimestamp64Milli(UpdatedAt) AS updated_ms"

# Newest version per dataset; the few rows of a small table, filtered in Python.
_DATASETS = (
    f"SELECT {', '.join(_DATASET_COLS)}{_TIMES} FROM {DATASETS_TABLE}"
    " ORDER BY DatasetId, Version DESC LIMIT 1 BY DatasetId"
)
_BY_NAME = (
    f"SELECT {', '.join(_DATASET_COLS)}{_TIMES} FROM {DATASETS_TABLE}"
    " WHERE Name = {name:String} ORDER BY DatasetId, Version DESC LIMIT 1 BY DatasetId"
)
_NEWEST_RECORDS = (
    f"SELECT {', '.join(_RECORD_COLS)}{_TIMES} FROM {RECORDS_TABLE}"
    " WHERE DatasetId = {dataset:String} {and_ids}"
    " ORDER BY RecordId, Version DESC LIMIT 1 BY RecordId"
)
_COUNTS = (
    f"SELECT DatasetId, countIf(deleted = 0) FROM (SELECT DatasetId, RecordId,"
    f" argMax(Deleted, Version) AS deleted FROM {RECORDS_TABLE}"
    " WHERE DatasetId IN {ids:Array(String)} GROUP BY DatasetId, RecordId) GROUP BY DatasetId"
)
# One page of live records, oldest first; (created, id) after the token's.
_PAGE = (
    "SELECT * FROM (" + _NEWEST_RECORDS.replace("{and_ids}", "") + ") WHERE Deleted = 0"
    " AND (CreatedSeq, RecordId) > ({after_seq:UInt64}, {after_id:String})"
    " ORDER BY CreatedSeq, RecordId LIMIT {limit:UInt32}"
)


def _row(row: dict[str, Any], columns: tuple[str, ...]) -> list[Any]:
    """A snapshot as an insert row: ``columns``, then CreatedAt and UpdatedAt."""
    return [*(row[c] for c in columns), utc(row["created_ms"]), utc(row["updated_ms"])]


def _dataset_json(row: dict[str, Any], record_count: int) -> dict[str, Any]:
    return {
        "dataset_id": row["DatasetId"],
        "name": row["Name"],
        "description": row["Description"] or None,
        "tags": dict(row["Tags"]),
        "record_count": record_count,
        "create_time_ms": int(row["created_ms"]),
        "last_update_time_ms": int(row["updated_ms"]),
    }


def _record_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "record_id": row["RecordId"],
        "inputs": json.loads(row["Inputs"]),
        "expectations": json.loads(row["Expectations"] or "{}"),
        "tags": dict(row["Tags"]),
        "source_trace_id": row["SourceTraceId"] or None,
        "create_time_ms": int(row["created_ms"]),
        "last_update_time_ms": int(row["updated_ms"]),
    }


def _insert_dataset(store: ClickHouseStore, row: dict[str, Any]) -> None:
    store.insert_rows(
        DATASETS_TABLE,
        [_row(row, _DATASET_COLS)],
        [*_DATASET_COLS, "CreatedAt", "UpdatedAt"],
    )


def _live(store: ClickHouseStore, name: str) -> dict[str, Any] | None:
    """The live dataset of that name (the oldest, should two collectors have raced)."""
    rows = [r for r in store.query_dicts(_BY_NAME, {"name": name}) if not r["Deleted"]]
    return min(rows, key=lambda r: (r["created_ms"], r["DatasetId"])) if rows else None


def _existing(store: ClickHouseStore, name: str) -> dict[str, Any]:
    row = _live(store, name)
    if row is None:
        raise NotFound(f"no dataset named {name!r} (spanwise datasets list shows them)")
    return row


def _counts(store: ClickHouseStore, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    return {str(d): int(n) for d, n in store.query(_COUNTS, {"ids": ids})}


def get_dataset(store: ClickHouseStore, name: str) -> dict[str, Any]:
    row = _existing(store, name)
    return _dataset_json(row, _counts(store, [row["DatasetId"]]).get(row["DatasetId"], 0))


def list_datasets(store: ClickHouseStore) -> list[dict[str, Any]]:
    """Every live dataset, by name."""
    by_name: dict[str, dict[str, Any]] = {}
    for row in store.query_dicts(_DATASETS):
        seen = by_name.get(row["Name"])
        if not row["Deleted"] and (
            seen is None
            or (row["created_ms"], row["DatasetId"]) < (seen["created_ms"], seen["DatasetId"])
        ):
            by_name[row["Name"]] = row
    counts = _counts(store, [r["DatasetId"] for r in by_name.values()])
    return [
        _dataset_json(by_name[n], counts.get(by_name[n]["DatasetId"], 0)) for n in sorted(by_name)
    ]


def create_dataset(store: ClickHouseStore, change: DatasetChange) -> dict[str, Any]:
    assert change.name is not None
    with _LOCK:
        if _live(store, change.name) is not None:
            raise Conflict(
                f"a dataset named {change.name!r} exists already; add records to it, or "
                "delete it first"
            )
        version = next_version()
        row = {
            "DatasetId": f"d-{uuid.uuid4().hex}", "Name": change.name,
            "Description": change.description or "", "Tags": dict(change.tags or {}),
            "Deleted": 0, "Version": version, "created_ms": version // 1_000_000,
            "updated_ms": version // 1_000_000,
        }  # fmt: skip
        _insert_dataset(store, row)
    return _dataset_json(row, 0)


def _touch(store: ClickHouseStore, row: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The dataset's next version (``changes`` applied) inserted; returns it."""
    version = next_version(int(row["Version"]))
    new = {**row, **changes, "Version": version, "updated_ms": version // 1_000_000}
    _insert_dataset(store, new)
    return new


def update_dataset(store: ClickHouseStore, name: str, change: DatasetChange) -> dict[str, Any]:
    """New description and/or tags merged into the old (a tag set to "" is removed)."""
    with _LOCK:
        row = _existing(store, name)
        changes: dict[str, Any] = {}
        if change.description is not None:
            changes["Description"] = change.description
        if change.tags is not None:
            tags = {**row["Tags"], **change.tags}
            changes["Tags"] = {k: v for k, v in tags.items() if v != ""}
        _touch(store, row, **changes)
    return get_dataset(store, name)


def delete_dataset(store: ClickHouseStore, name: str) -> None:
    """The dataset goes at once (a deleted snapshot); its records are deleted after it
    (a lightweight DELETE: records of a deleted dataset are unreachable anyway)."""
    with _LOCK:
        row = _existing(store, name)
        _touch(store, row, Deleted=1)
    store.delete_rows(RECORDS_TABLE, "DatasetId = {dataset:String}", {"dataset": row["DatasetId"]})


def _newest(store: ClickHouseStore, dataset_id: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    sql = _NEWEST_RECORDS.replace("{and_ids}", "AND RecordId IN {ids:Array(String)}")
    return {r["RecordId"]: r for r in store.query_dicts(sql, {"dataset": dataset_id, "ids": ids})}


def get_record(store: ClickHouseStore, dataset_id: str, record_id: str) -> dict[str, Any] | None:
    """One live record of a dataset (by its id) as the API shows records, or None."""
    row = _newest(store, dataset_id, [record_id]).get(record_id)
    return _record_json(row) if row is not None and not row["Deleted"] else None


def merge_records(store: ClickHouseStore, name: str, items: list[RecordInput]) -> dict[str, Any]:
    """Add records, or update those whose id is there: new inputs, expectations and tags
    merged into the old ones, the source trace if given. Records given twice in one
    request merge in order."""
    with _LOCK:
        dataset = _existing(store, name)
        dataset_id = dataset["DatasetId"]
        stored = {
            rid: row for rid, row in _newest(store, dataset_id, [i.record_id for i in items]).items()
            if not row["Deleted"]
        }  # fmt: skip
        merged: dict[str, dict[str, Any]] = {}
        for item in items:
            old = merged.get(item.record_id) or stored.get(item.record_id)
            merged[item.record_id] = _merged(dataset_id, old, item)
        rows = [_row(r, _RECORD_COLS) for r in merged.values()]
        store.insert_rows(RECORDS_TABLE, rows, [*_RECORD_COLS, "CreatedAt", "UpdatedAt"])
        _touch(store, dataset)
    updated = sum(1 for rid in merged if rid in stored)
    return {
        "dataset": get_dataset(store, name),
        "inserted": len(merged) - updated,
        "updated": updated,
        "record_ids": list(merged),
    }


def _merged(dataset_id: str, old: dict[str, Any] | None, item: RecordInput) -> dict[str, Any]:
    version = next_version(int(old["Version"]) if old else 0)
    expectations = json.loads(old["Expectations"] or "{}") if old else {}
    expectations.update(item.expectations or {})
    return {
        "DatasetId": dataset_id, "RecordId": item.record_id, "Inputs": item.inputs_json,
        "Expectations": json.dumps(expectations, ensure_ascii=False, separators=(",", ":")),
        "Tags": {**(old["Tags"] if old else {}), **item.tags},
        "SourceTraceId": item.source_trace_id or (old["SourceTraceId"] if old else ""),
        "CreatedSeq": int(old["CreatedSeq"]) if old else version, "Deleted": 0,
        "Version": version, "created_ms": int(old["created_ms"]) if old else version // 1_000_000,
        "updated_ms": version // 1_000_000,
    }  # fmt: skip


def delete_records(store: ClickHouseStore, name: str, record_ids: list[str]) -> int:
    """Mark the given records deleted; returns how many were live."""
    with _LOCK:
        dataset = _existing(store, name)
        live = [r for r in _newest(store, dataset["DatasetId"], record_ids).values()
                if not r["Deleted"]]  # fmt: skip
        if live:
            rows = []
            for r in live:
                version = next_version(int(r["Version"]))
                r = {**r, "Deleted": 1, "Version": version, "updated_ms": version // 1_000_000}
                rows.append(_row(r, _RECORD_COLS))
            store.insert_rows(RECORDS_TABLE, rows, [*_RECORD_COLS, "CreatedAt", "UpdatedAt"])
            _touch(store, dataset)
    return len(live)


def _token(seq: int, record_id: str) -> str:
    return base64.urlsafe_b64encode(f"{seq}:{record_id}".encode()).decode()


def _after(token: str | None) -> tuple[int, str]:
    if not token:
        return 0, ""
    try:
        seq, rid = base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)
        if not seq.isdigit():
            raise ValueError(seq)
        return int(seq), rid
    except (ValueError, UnicodeError):
        raise QueryError("invalid page_token: pass back the next_page_token of a page") from None


def list_records(
    store: ClickHouseStore, name: str, max_results: int = MAX_PAGE, page_token: str | None = None
) -> dict[str, Any]:
    """One page of the dataset's records, oldest first, and the token of the next."""
    if not 1 <= max_results <= MAX_PAGE:
        raise QueryError(f"max_results must be between 1 and {MAX_PAGE}")
    after_seq, after_id = _after(page_token)
    dataset = _existing(store, name)
    rows = store.query_dicts(_PAGE, {
        "dataset": dataset["DatasetId"], "after_seq": after_seq, "after_id": after_id,
        "limit": max_results + 1,
    })  # fmt: skip
    more = len(rows) > max_results
    rows = rows[:max_results]
    token = _token(int(rows[-1]["CreatedSeq"]), rows[-1]["RecordId"]) if more else None
    return {"records": [_record_json(r) for r in rows], "next_page_token": token}
