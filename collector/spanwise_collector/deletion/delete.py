"""Delete traces: journal their spans (which retracts them from the rollup), then delete
their rows from every table that holds them, the spans last.

Why this order, and why a retry or a crash at any step leaves the store exact, is in
``store/deletions_ddl.py``. Deletions run one at a time per collector (a lock): two
concurrent deletions of one trace could both journal the same span versions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..query.errors import QueryError
from ..query.traces import TRACE_BOUNDS, validate_trace_id
from ..store import ClickHouseStore
from ..store.assessments_ddl import ASSESSMENTS_TABLE
from ..store.deletions_ddl import DELETED_SPANS_TABLE, JOURNAL_COLUMNS
from ..store.trace_tags_ddl import TAG_EDITS_TABLE
from ..store.trace_times_ddl import TRACE_TIMES_TABLE

__all__ = ["MAX_IDS", "DeletedTraces", "delete_traces", "finish_pending", "purge"]

logger = logging.getLogger(__name__)

MAX_IDS = 1_000  # trace ids per deletion (the ids are sent as literals in each statement)

_LOCK = threading.Lock()

# The newest version of every span of the traces ingested before ``t0``. The deletion
# finds the versions stored (any ``t0`` after them) and then journals and deletes only
# those up to the newest found: spans that arrive meanwhile are not journaled, so they are
# not deleted either. The cut is the stored versions' own time, not this machine's clock,
# which another collector's may run ahead of. trace_times bounds the day parts read, as
# for one trace by id.
_T0 = "fromUnixTimestamp64Milli({t0:Int64})"
_ANY_TIME_MS = 9_000_000_000_000  # 2255: after every version (DateTime64(3) ends in 2299)
_NEWEST = (
    f"{TRACE_BOUNDS}SELECT %s FROM otel_traces PREWHERE TraceId IN {{ids:Array(String)}}"
    f" WHERE Timestamp >= bounds.1 AND Timestamp <= bounds.2 AND IngestedAt < {_T0}"
    " %s ORDER BY IngestedAt DESC LIMIT 1 BY TraceId, SpanId"
)
_VERSION = (
    "TraceId, SpanId, toUnixTimestamp64Milli(IngestedAt) AS ingested_ms,"
    " toUnixTimestamp64Nano(Timestamp) AS ts, Duration, Project"
)
_IN_PROJECT = "AND Project = {project:String}"
_JOURNALED = (
    "SELECT TraceId, SpanId, toUnixTimestamp64Milli(IngestedAt) AS ingested_ms"
    f" FROM {DELETED_SPANS_TABLE} WHERE TraceId IN {{ids:Array(String)}}"
)
# Journal the versions not journaled yet: one INSERT, so the rollup view's retraction
# and the journal row are written together.
_JOURNAL = (
    f"INSERT INTO {DELETED_SPANS_TABLE} ({', '.join(JOURNAL_COLUMNS)}) "
    f"SELECT {', '.join(JOURNAL_COLUMNS)} FROM ({_NEWEST % (', '.join(JOURNAL_COLUMNS), '')})"
)
_NOT_DONE = (
    " WHERE (TraceId, SpanId, toUnixTimestamp64Milli(IngestedAt))"
    " NOT IN {done:Array(Tuple(String, String, Int64))}"
)


@dataclass(frozen=True)
class DeletedTraces:
    """What one deletion removed: the traces found (others did not exist or were in
    another project) and how many spans they had."""

    trace_ids: tuple[str, ...]
    spans: int

    def to_json(self) -> dict[str, Any]:
        return {
            "deleted_traces": len(self.trace_ids),
            "deleted_spans": self.spans,
            "trace_ids": list(self.trace_ids),
        }


def delete_traces(
    store: ClickHouseStore, trace_ids: Sequence[str], project: str | None = None
) -> DeletedTraces:
    """Delete these traces (of ``project`` only, when given). Ids that match nothing are
    left out of the result. QueryError for a malformed id or too many ids."""
    if len(trace_ids) > MAX_IDS:
        raise QueryError(f"at most {MAX_IDS} trace ids per deletion, got {len(trace_ids)}")
    ids = sorted({validate_trace_id(t) for t in trace_ids})
    if not ids:
        return DeletedTraces((), 0)
    with _LOCK:
        return _delete(store, ids, project)


def _delete(store: ClickHouseStore, ids: list[str], project: str | None) -> DeletedTraces:
    where = _IN_PROJECT if project is not None else ""
    params = {"ids": ids, "t0": _ANY_TIME_MS, "project": project or ""}
    found = store.query(_NEWEST % (_VERSION, where), params)
    if not found:
        return DeletedTraces((), 0)
    found_ids = sorted({row[0] for row in found})
    t0 = max(int(row[2]) for row in found) + 1
    # Versions an earlier, interrupted deletion journaled (and so retracted) already.
    done = {(t, s, int(ms)) for t, s, ms in store.query(_JOURNALED, {"ids": found_ids})}
    if any((t, s, int(ms)) not in done for t, s, ms, *_ in found):
        params = {"ids": found_ids, "t0": t0}
        if done:
            store.command(_JOURNAL + _NOT_DONE, {**params, "done": sorted(done)})
        else:
            store.command(_JOURNAL, params)
    _remove(store, found_ids, t0, _Span.of(found))
    return DeletedTraces(tuple(found_ids), len(found))


@dataclass(frozen=True)
class _Span:
    """Where the traces' rows are: projects and time range (ns, 1 ms wider each side), so
    a DELETE looks only into their partitions and key ranges, not into every part."""

    projects: list[str]
    lo_ns: int
    hi_ns: int

    @classmethod
    def of(cls, found: list[tuple[Any, ...]]) -> _Span:
        return cls(
            sorted({row[5] for row in found}),
            min(int(row[3]) for row in found) - 1_000_000,
            max(int(row[3]) + int(row[4]) for row in found) + 1_000_000,
        )

    def where(self, time: str, project: bool) -> tuple[str, dict[str, Any]]:
        sql = (
            f" AND {time} >= fromUnixTimestamp64Nano({{lo:Int64}})"
            f" AND {time} <= fromUnixTimestamp64Nano({{hi:Int64}})"
        )
        if project:
            sql += " AND Project IN {projects:Array(String)}"
        return sql, {"lo": self.lo_ns, "hi": self.hi_ns, "projects": self.projects}


def _remove(store: ClickHouseStore, ids: list[str], before_ms: int, span: _Span | None) -> None:
    """Every row of the traces, the spans last (see the module docstring); of the spans
    only versions ingested before ``before_ms``: later ones were not journaled. The other
    tables' DELETEs run side by side: each waits for the engine to schedule and apply its
    mutation (~0.1–1 s at 1M spans), more than it works."""
    by_id = "TraceId IN {ids:Array(String)}"
    summary, summary_params = span.where("Start", True) if span else ("", {})
    spans, spans_params = span.where("Timestamp", False) if span else ("", {})
    jobs = [
        ("trace_summary", by_id + summary, summary_params),
        (TRACE_TIMES_TABLE, by_id, {}),
        (ASSESSMENTS_TABLE, by_id, {}),
        (TAG_EDITS_TABLE, by_id, {}),
    ]
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(store.delete_rows, t, w, {"ids": ids, **p}) for t, w, p in jobs]
        for future in futures:
            future.result()  # the first failure is raised; the spans stay for a retry
    store.delete_rows(
        "otel_traces",
        f"{by_id} AND IngestedAt < {_T0}{spans}",
        {"ids": ids, "t0": before_ms, **spans_params},
    )


def purge(store: ClickHouseStore) -> None:
    """Deleted rows are masked at once and leave the disk when their part is next merged,
    which for a day's big part may be never before its TTL. This starts rewriting every
    part holding deleted rows without them, in the background (at 1M spans with 100
    traces deleted across all parts: ~12 s of engine work)."""
    for table in ("trace_summary", TRACE_TIMES_TABLE, ASSESSMENTS_TABLE, TAG_EDITS_TABLE,
                  "otel_traces"):  # fmt: skip
        store.purge_deleted(table)


# Traces with a journaled version still stored: a deletion stopped before its end.
# GLOBAL: on a cluster both tables are Distributed (on one node it is a plain IN).
_PENDING = (
    f"SELECT TraceId, max(toUnixTimestamp64Milli(IngestedAt)) FROM {DELETED_SPANS_TABLE}"
    " WHERE (TraceId, SpanId, IngestedAt) GLOBAL IN (SELECT TraceId, SpanId, IngestedAt"
    f" FROM otel_traces WHERE TraceId GLOBAL IN (SELECT TraceId FROM {DELETED_SPANS_TABLE}))"
    " GROUP BY TraceId"
)


def finish_pending(store: ClickHouseStore) -> int:
    """Finish deletions a collector stopped in: each trace with journaled span versions
    still stored loses its rows, its spans up to the newest journaled version (later
    ones were not journaled). Returns how many traces were finished."""
    with _LOCK:
        pending = store.query(_PENDING)
        for trace_id, newest_ms in pending:
            _remove(store, [trace_id], int(newest_ms) + 1, None)
    if pending:
        logger.warning("finished %d trace deletion(s) interrupted earlier", len(pending))
    return len(pending)
