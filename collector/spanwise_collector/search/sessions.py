"""Sessions (conversations): traces sharing a session id, with per-session totals.

A session's traces are found with the summary's bloom-filter index on SessionId; the
list groups the traces of a time window (newest session first, by its first trace,
which does not move while the session goes on, so pages stay stable).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from spanwise_collector.filters import InvalidPageToken, compile_filter

from ..assessments.store import attach_assessments
from ..query.errors import QueryError
from ..query.traces import attach_spans, money, summary_to_info
from ..store import ClickHouseStore
from .schema import TRACE_SCHEMA, grouped_summary_sql
from .traces import summary_range_where
from .window import open_window

__all__ = ["MAX_SESSION_TRACES", "get_session", "list_sessions"]

MAX_SESSION_TRACES = 10_000
MAX_SESSION_ID = 1_000


# The summary rows of one session's traces (the bloom-filter index on SessionId finds them).
_OF_SESSION = "TraceId IN (SELECT TraceId FROM trace_summary WHERE SessionId = {sid:String})"

# A session's totals over its traces' summaries (grouped per trace), for _session_info.
_TOTALS = """count() AS trace_count, min(start_ns) AS first_ns, max(end_ns) AS last_ns,
       sum(if(priced_spans > 0, total_cost, toDecimal128(0, 9))) AS cost,
       sum(priced_spans) AS priced, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens, countIf(root_error > 0) AS error_count,
       max(user_id) AS user_id, max(project) AS project"""


def list_sessions(
    store: ClickHouseStore,
    *,
    filter: str | None = None,
    since: Any = None,
    until: Any = None,
    project: str | None = None,
    page_token: str | None = None,
    max_results: int = 100,
) -> dict[str, Any]:
    """Sessions whose first trace (matching `filter`, if given) started in the window."""
    window = open_window("sessions", filter=filter, order_by=None, since=since, until=until,
                         project=project, page_token=page_token, max_results=max_results)  # fmt: skip
    where = compile_filter(filter or None, TRACE_SCHEMA)
    params: dict[str, Any] = {**window.params, **where.params, "limit": max_results + 1}
    summary_where = summary_range_where(window.project)
    having = ""
    if window.cursor is not None:
        cur = window.cursor
        if len(cur) != 2 or not isinstance(cur[0], int) or not isinstance(cur[1], str):
            raise InvalidPageToken("invalid page token: not a token this server issued")
        params["c0"], params["c1"] = cur
        having = " HAVING (first_ns, session_id) < ({c0:Int64}, {c1:String})"
    sql = f"""
SELECT session_id, {_TOTALS}
FROM (
    SELECT * FROM ({grouped_summary_sql(None, summary_where)})
    WHERE session_id != '' AND start >= {{w_since:DateTime64(9)}}
      AND start < {{w_until:DateTime64(9)}} AND ({where.sql})
)
GROUP BY session_id{having}
ORDER BY first_ns DESC, session_id DESC LIMIT {{limit:UInt32}}
"""
    rows = store.query_dicts(sql, params)
    token = None
    if len(rows) > max_results:
        rows = rows[:max_results]
        token = window.next_token([int(rows[-1]["first_ns"]), rows[-1]["session_id"]])
    return {"sessions": [_session_info(r) for r in rows], "next_page_token": token}


def _session_info(row: dict[str, Any]) -> dict[str, Any]:
    first, last = int(row["first_ns"]), int(row["last_ns"])
    return {
        "session_id": row["session_id"],
        "trace_count": int(row["trace_count"]),
        "first_time_ms": first // 1_000_000,
        "last_time_ms": last // 1_000_000,
        "duration_ms": (last - first) / 1e6,
        "input_tokens": int(row["input_tokens"]),
        "output_tokens": int(row["output_tokens"]),
        "cost": money(row["cost"]) if row["priced"] else None,
        "error_count": int(row["error_count"]),
        "user_id": row["user_id"] or None,
        "project": row["project"],
    }


def get_session(
    store: ClickHouseStore, session_id: str, include_spans: bool = False
) -> dict[str, Any] | None:
    """The traces of one session, oldest first, with its totals; None if it has none."""
    if not session_id or len(session_id) > MAX_SESSION_ID:
        raise QueryError(f"session id must have 1 to {MAX_SESSION_ID} characters")
    sql = (
        f"SELECT * FROM ({grouped_summary_sql(None, _OF_SESSION)}) WHERE session_id = {{sid:String}} "
        "ORDER BY start_ns, TraceId LIMIT {limit:UInt32}"
    )
    rows = store.query_dicts(sql, {"sid": session_id, "limit": MAX_SESSION_TRACES + 1})
    if not rows:
        return None
    truncated = len(rows) > MAX_SESSION_TRACES
    rows = rows[:MAX_SESSION_TRACES]
    traces: list[dict[str, Any]] = [{"info": summary_to_info(r)} for r in rows]
    if include_spans:  # whole traces: their spans and their assessments
        attach_spans(store, traces)
        attach_assessments(store, traces)
    if truncated:  # totals of every trace, not only of the ones returned
        return {"session": _whole_session(store, session_id), "traces": traces, "truncated": True}
    first_ns = int(rows[0]["start_ns"])
    last_ns = max(int(r["end_ns"]) for r in rows)
    totals = {
        "session_id": session_id,
        "trace_count": len(rows),
        "first_time_ms": first_ns // 1_000_000,
        "last_time_ms": last_ns // 1_000_000,
        "duration_ms": (last_ns - first_ns) / 1e6,
        "input_tokens": sum(int(r["input_tokens"]) for r in rows),
        "output_tokens": sum(int(r["output_tokens"]) for r in rows),
        "cost": money(sum((r["total_cost"] for r in rows if r["priced_spans"]), Decimal(0)))
        if any(r["priced_spans"] for r in rows)
        else None,
        "error_count": sum(1 for r in rows if r["root_error"]),
        "user_id": max((r["user_id"] for r in rows), default="") or None,
        "project": rows[0]["project"],
    }
    return {"session": totals, "traces": traces, "truncated": False}


def _whole_session(store: ClickHouseStore, session_id: str) -> dict[str, Any]:
    """The totals of a session too long to return whole, as the list computes them."""
    sql = f"""
SELECT session_id, {_TOTALS}
FROM ({grouped_summary_sql(None, _OF_SESSION)}) WHERE session_id = {{sid:String}}
GROUP BY session_id
"""
    return _session_info(store.query_dicts(sql, {"sid": session_id})[0])
