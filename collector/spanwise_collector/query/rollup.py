"""Reading the hourly span rollup (``store/rollup_ddl.py``): span analytics
(``search/analytics.py``: group keys and metrics the rollup keeps, no filter or one on
key columns only, ``search/rollup_filter.py``) and cost totals (``costs.py``: no
trace-level keys) use it where it gives the scan's answer.

The window is split at whole hours: hours inside it (and inside the rollup's coverage)
are read from ``span_rollup_hourly``, the partial edge hours are scanned from
``otel_traces`` as before, and the two partial aggregates are summed per group. So the
result is exact for any since/until and costs one scan of at most two hours plus a few
rows per hour, whatever the window length.

The two parts run as two grouped queries at once (``POOL``) and are added up here
(``add_up``): one query holding both (UNION ALL under one GROUP BY) cost more to plan
than the two take to run (analytics at 200k spans: 18 ms against 5 and 7).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from ..store import ClickHouseStore
from ..store.rollup_ddl import COVERAGE_TABLE, DEFERRED_STATUSES, ROLLUP_TABLE

__all__ = [
    "EDGE_HOURS",
    "POOL",
    "REVISED",
    "ROLLUP_KEYS",
    "ROLLUP_NEEDS",
    "add_up",
    "edge_value",
    "hour_params",
    "newest_spans",
    "rollup_hours",
    "rollup_rows",
]  # fmt: skip

# group key -> expression over the rollup (same text and type as the scan's key)
ROLLUP_KEYS = {
    "model": "toString(Model)",
    "provider": "toString(Provider)",
    "span_name": "toString(SpanName)",
    "span_type": "toString(SpanType)",
    "project": "toString(Project)",
    "hour": "formatDateTime(Hour, '%Y-%m-%dT%H:00:00Z', 'UTC')",
    "day": "toString(toDate(Hour, 'UTC'))",
}
_DEFERRED = "(" + ", ".join(f"'{s}'" for s in DEFERRED_STATUSES) + ")"
# Pseudo-aggregate of an optimistic edge scan (``newest_spans(..., optimistic=True)``):
# the repriced versions it read. The rollup part has none.
REVISED = "revised"
# aggregate (m_<name> of analytics) -> (the value of one edge span ``s``, the value of one
# rollup row), typed alike.
_ROW_VALUES = {
    "count": ("toInt64(1)", "SpanCount"),
    "cost": ("toDecimal128(ifNull(s.Cost, 0), 9)", "TotalCost"),
    "priced": ("toInt64(s.Cost IS NOT NULL)", "PricedSpans"),
    "input_tokens": (
        f"toInt64(if(s.CostStatus IN {_DEFERRED}, 0, s.InputTokens))",
        f"if(CostStatus IN {_DEFERRED}, 0, InputTokens)",
    ),
    "output_tokens": (
        f"toInt64(if(s.CostStatus IN {_DEFERRED}, 0, s.OutputTokens))",
        f"if(CostStatus IN {_DEFERRED}, 0, OutputTokens)",
    ),
    "errors": ("toInt64(s.StatusCode = 'Error')", "if(StatusCode = 'Error', SpanCount, 0)"),
    REVISED: ("toInt64(s.CostRevision > 0)", "toInt64(0)"),
}
ROLLUP_NEEDS = frozenset(_ROW_VALUES) - {REVISED}
# DateTime (the Hour column) ends in 2106; the view skips later (bogus) timestamps.
_HOUR_MIN = datetime(1970, 1, 1, tzinfo=UTC)
_HOUR_MAX = datetime(2106, 1, 1, tzinfo=UTC)

# runs a request's rollup query while the request's own thread runs its edge query
POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="spanwise-rollup")

_coverage: weakref.WeakKeyDictionary[ClickHouseStore, datetime] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _complete_from(store: ClickHouseStore) -> datetime | None:
    """The first hour the rollup holds every span of (recorded by migration 5)."""
    with _lock:
        known = _coverage.get(store)
    if known is not None:
        return known
    rows = store.query(f"SELECT count(), toUnixTimestamp(max(CompleteFrom)) FROM {COVERAGE_TABLE}")
    if not rows or not rows[0][0]:
        return None  # migration 5 has not finished: scan
    value = datetime.fromtimestamp(int(rows[0][1]), tz=UTC)
    with _lock:
        _coverage[store] = value  # set once, by the migration: safe to keep
    return value


def rollup_hours(
    store: ClickHouseStore, since: datetime, until: datetime
) -> tuple[datetime, datetime] | None:
    """[first, end): the whole hours of [since, until) the rollup answers; None if none."""
    first = since.replace(minute=0, second=0, microsecond=0)
    if first < since:
        first += timedelta(hours=1)
    end = min(until.replace(minute=0, second=0, microsecond=0), _HOUR_MAX)
    first = max(first, _HOUR_MIN)
    if first >= end:
        return None
    complete = _complete_from(store)
    if complete is None:
        return None
    first = max(first, complete)
    return (first, end) if first < end else None


# Spans outside the hours the rollup answers (hour_params).
EDGE_HOURS = "(Timestamp < {r_from:DateTime('UTC')} OR Timestamp >= {r_until:DateTime('UTC')})"


def newest_spans(
    store: ClickHouseStore,
    columns: str,
    cond: str,
    params: dict[str, Any],
    optimistic: bool = False,
) -> str:
    """SQL of the newest version of each span matching ``cond``, without FINAL or a sort.

    The edge hours' partitions are whole days (ORDER BY TraceId: no time index inside),
    so at scale FINAL there would cost more than the rollup saves. The rollup's own
    premise makes it unnecessary: a span is stored once (re-deliveries are dropped at
    ingest) plus the versions ``reprice`` adds (``CostRevision`` > 0, the highest is the
    newest). Most windows hold no repriced span: one cheap count says so. ``cond`` must
    be true for all versions of a span or none (reprice changes Cost and CostStatus):
    filter those outside, on the newest versions.

    ``optimistic``: no count query (each costs a round trip and a plan over the spans
    table, ~5 ms); every version is read, and the caller's query must count the rows
    with ``CostRevision > 0`` (``edge_value(REVISED)``) and, if there are any,
    run again with ``optimistic=False``. ``columns`` must include CostRevision then.
    """
    base = f"SELECT {columns} FROM otel_traces WHERE {cond}"
    if optimistic:
        return base
    base += " AND "
    revised = store.query(
        f"SELECT count() FROM otel_traces WHERE {cond} AND CostRevision > 0", params
    )
    if not revised or not revised[0][0]:
        return base + "CostRevision = 0"
    newest = (
        f"SELECT TraceId, SpanId, max(CostRevision) FROM otel_traces WHERE {cond}"
        " AND CostRevision > 0 GROUP BY TraceId, SpanId"
    )
    return base + (
        f"(CostRevision = 0 AND (TraceId, SpanId) NOT IN (SELECT TraceId, SpanId FROM ({newest}))"
        f" OR (TraceId, SpanId, CostRevision) IN ({newest}))"
    )


def edge_value(name: str) -> str:
    """The value of aggregate ``name`` for one edge span row ``s``, summed by the caller."""
    return _ROW_VALUES[name][0]


def rollup_rows(
    keys: Sequence[str], needed: Sequence[str], project: str, filter_sql: str = "1"
) -> str:
    """The rollup rows of the hours [{r_from}, {r_until}) as p_k<n> and p_<aggregate>,
    the values ``edge_value`` gives one edge span: the caller sums both per group.
    ``filter_sql``: a span filter over key columns only (``search/rollup_filter.py``);
    the rollup has them under the spans' column names, with the spans' values."""
    cols = [f"{ROLLUP_KEYS[k]} AS p_k{n}" for n, k in enumerate(keys)]
    cols += [f"{_ROW_VALUES[m][1]} AS p_{m}" for m in needed]
    where = "Hour >= {r_from:DateTime('UTC')} AND Hour < {r_until:DateTime('UTC')}"
    if project:
        where += " AND Project = {w_project:String}"
    if filter_sql != "1":
        where += f" AND ({filter_sql})"
    return f"SELECT {', '.join(cols)} FROM {ROLLUP_TABLE} WHERE {where}"


def hour_params(hours: tuple[datetime, datetime]) -> dict[str, Any]:
    return {"r_from": hours[0].replace(tzinfo=None), "r_until": hours[1].replace(tzinfo=None)}


def add_up(
    parts: Iterable[Sequence[dict[str, Any]]], keys: Sequence[str], values: Sequence[str]
) -> list[dict[str, Any]]:
    """The rows of several parts, each grouped by the ``keys`` columns, added up per group
    (the ``values`` columns), in the order groups first appear."""
    groups: dict[tuple, dict[str, Any]] = {}
    for rows in parts:
        for row in rows:
            key = tuple(row[k] for k in keys)
            into = groups.get(key)
            if into is None:
                groups[key] = {k: row[k] for k in (*keys, *values)}
            else:
                for name in values:
                    into[name] += row[name]
    return list(groups.values())
