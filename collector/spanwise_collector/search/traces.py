"""Trace search: filter, order, time window, keyset pages, chosen fields.

Phase 1 reads only the aggregates the filter and the order need from the grouped
summary (HAVING holds the trace-level predicates, span predicates are subqueries on
the spans table within the window) and returns one page of trace ids; phase 2 reads
the full summary of just those traces (and their spans when asked).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from spanwise_collector.filters import compile_filter

from ..assessments.store import attach_assessments
from ..query.traces import attach_spans, summary_to_info
from ..store import ClickHouseStore
from .keyset import build_ordering
from .schema import TRACE_AGGREGATES, TRACE_SCHEMA, grouped_summary_sql
from .window import check_fields, open_window

__all__ = ["TRACE_FIELDS", "search_traces"]

TRACE_FIELDS = (
    "trace_id", "name", "status", "project", "start_time_ms", "end_time_ms", "duration_ms",
    "span_count", "input_tokens", "output_tokens", "cost", "session_id", "user_id", "run_id",
    "tags", "metadata",
)  # fmt: skip

# Summary rows in the window (plus a day of slack so a trace's totals are complete);
# the exact bounds on the trace start are applied in HAVING.
SUMMARY_RANGE = (
    "Start >= {w_since:DateTime64(9)} - INTERVAL 1 DAY"
    " AND Start < {w_until:DateTime64(9)} + INTERVAL 1 DAY"
)
_IN_WINDOW = "start >= {w_since:DateTime64(9)} AND start < {w_until:DateTime64(9)}"


def _aliases_used(*sql: str) -> tuple[str, ...]:
    text = " ".join(sql)
    used = {"start", "start_ns"}
    used |= {a for a in TRACE_AGGREGATES if re.search(rf"\b{a}\b", text)}
    return tuple(a for a in TRACE_AGGREGATES if a in used)


def summary_range_where(project: str) -> str:
    """Summary rows in the window, of one project if given."""
    return SUMMARY_RANGE + (" AND Project = {w_project:String}" if project else "")


def search_traces(
    store: ClickHouseStore,
    *,
    filter: str | None = None,
    order_by: Sequence[str] | str | None = None,
    since: Any = None,
    until: Any = None,
    page_token: str | None = None,
    max_results: int = 100,
    project: str | None = None,
    fields: Sequence[str] | None = None,
    include_spans: bool = False,
) -> dict[str, Any]:
    """One page of traces; FilterError/InvalidPageToken/QueryError on bad arguments."""
    check_fields(fields, TRACE_FIELDS)
    window = open_window("traces", filter=filter, order_by=order_by, since=since, until=until,
                         project=project, page_token=page_token, max_results=max_results)  # fmt: skip
    where = compile_filter(filter or None, TRACE_SCHEMA)
    ordering = build_ordering(order_by, TRACE_SCHEMA, ["trace.timestamp DESC"], ["TraceId"])
    params: dict[str, Any] = {**window.params, **where.params, **ordering.params}
    having = [_IN_WINDOW, where.sql]
    if window.cursor is not None:
        after, after_params = ordering.after(window.cursor)
        having.append(after)
        params.update(after_params)
    params["limit"] = max_results + 1
    aliases = _aliases_used(where.sql, ordering.order_sql)
    sql = (
        f"SELECT * FROM ({grouped_summary_sql(aliases, summary_range_where(window.project))}) "
        f"WHERE {' AND '.join(f'({h})' for h in having)} "
    )
    # Outer select: the cursor values of each row, computed over the grouped aliases.
    sql = (
        f"SELECT TraceId, toUnixTimestamp64Nano(start) AS _start, {ordering.select_sql} "
        f"FROM ({sql}) ORDER BY {ordering.order_sql} LIMIT {{limit:UInt32}}"
    )
    rows = store.query_dicts(sql, params)
    next_token = None
    if len(rows) > max_results:
        rows = rows[:max_results]
        next_token = window.next_token(ordering.cursor_of(rows[-1]))
    ids = [r["TraceId"] for r in rows]
    first = min((int(r["_start"]) for r in rows), default=0)
    infos = _infos(store, ids, first, window.params, window.project)
    traces = []
    for trace_id in ids:
        info = infos.get(trace_id)
        if info is None:  # pragma: no cover - phase 2 reads the same rows as phase 1
            continue
        if fields is not None:
            info = {k: v for k, v in info.items() if k in fields or k == "trace_id"}
        traces.append({"info": info})
    if include_spans and traces:  # whole traces: their spans and their assessments
        attach_spans(store, traces)
        attach_assessments(store, traces)
    return {"traces": traces, "next_page_token": next_token}


def _infos(
    store: ClickHouseStore,
    ids: list[str],
    first_ns: int,
    window_params: dict[str, Any],
    project: str,
) -> dict[str, dict[str, Any]]:
    """The full summaries of the page's traces. Every summary row of a trace starts at or
    after the trace does, so the page's first start bounds the read (fewer day
    partitions than the window's day of slack; ~2 ms of ~11 at 1M spans)."""
    if not ids:
        return {}
    where = (
        "Start >= fromUnixTimestamp64Nano({first:Int64}, 'UTC')"
        " AND Start < {w_until:DateTime64(9)} + INTERVAL 1 DAY"
        + (" AND Project = {w_project:String}" if project else "")
        + " AND TraceId IN {ids:Array(String)}"
    )
    params = {**window_params, "ids": ids, "first": first_ns}
    rows = store.query_dicts(grouped_summary_sql(None, where), params)
    return {row["TraceId"]: summary_to_info(row) for row in rows}
