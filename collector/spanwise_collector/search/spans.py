"""Span search: span rows (e.g. every LLM call of a model) with filter, order and pages.

Phase 1 reads only the sort columns of matching spans in the window and returns one
page of (TraceId, SpanId); phase 2 reads those rows in full by primary key, the
newest version of each span (re-deliveries and repriced rows collapse).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spanwise_collector.filters import compile_filter

from ..query.traces import SPAN_COLUMNS, span_to_json
from ..query.traces import public_span as query_public_span
from ..store import ClickHouseStore
from .keyset import build_ordering
from .schema import SPAN_SCHEMA
from .window import check_fields, open_window

__all__ = ["SPAN_FIELDS", "search_spans"]

SPAN_FIELDS = (
    "trace_id", "span_id", "parent_id", "name", "kind", "service_name", "span_type", "status",
    "status_message", "start_time_ns", "end_time_ns", "duration_ms", "inputs", "outputs",
    "attributes", "events", "model", "provider", "input_tokens", "output_tokens",
    "cached_tokens", "reasoning_tokens", "cost", "cost_status", "cost_breakdown",
    "pricing_version", "project", "session_id", "user_id", "run_id",
)  # fmt: skip

SPAN_RANGE = "Timestamp >= {w_since:DateTime64(9)} AND Timestamp < {w_until:DateTime64(9)}"


def search_spans(
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
) -> dict[str, Any]:
    """One page of spans, newest first by default."""
    check_fields(fields, SPAN_FIELDS)
    window = open_window("spans", filter=filter, order_by=order_by, since=since, until=until,
                         project=project, page_token=page_token, max_results=max_results)  # fmt: skip
    where = compile_filter(filter or None, SPAN_SCHEMA)
    ordering = build_ordering(order_by, SPAN_SCHEMA, ["span.timestamp DESC"], ["TraceId", "SpanId"])
    params: dict[str, Any] = {**window.params, **where.params, **ordering.params}
    conditions = [SPAN_RANGE, where.sql]
    if window.project:
        conditions.append("Project = {w_project:String}")
    if window.cursor is not None:
        after, after_params = ordering.after(window.cursor)
        conditions.append(after)
        params.update(after_params)
    params["limit"] = max_results + 1
    sql = (
        f"SELECT TraceId, SpanId, {ordering.select_sql} FROM otel_traces "
        f"WHERE {' AND '.join(f'({c})' for c in conditions)} "
        f"ORDER BY {ordering.order_sql} LIMIT 1 BY TraceId, SpanId LIMIT {{limit:UInt32}}"
    )
    rows = store.query_dicts(sql, params)
    next_token = None
    if len(rows) > max_results:
        rows = rows[:max_results]
        next_token = window.next_token(ordering.cursor_of(rows[-1]))
    keys = [(r["TraceId"], r["SpanId"]) for r in rows]
    full = _fetch(store, keys)
    spans = []
    for key in keys:
        span = full.get(key)
        if span is None:  # pragma: no cover - phase 2 reads the rows phase 1 found
            continue
        if fields is not None:
            span = {k: v for k, v in span.items() if k in fields or k in ("trace_id", "span_id")}
        spans.append(span)
    return {"spans": spans, "next_page_token": next_token}


def _fetch(store: ClickHouseStore, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    if not keys:
        return {}
    rows = store.query_dicts(
        f"SELECT {SPAN_COLUMNS} FROM otel_traces WHERE TraceId IN {{t:Array(String)}} "
        "AND SpanId IN {s:Array(String)} ORDER BY IngestedAt DESC LIMIT 1 BY TraceId, SpanId",
        {"t": sorted({k[0] for k in keys}), "s": sorted({k[1] for k in keys})},
    )
    wanted = set(keys)
    out = {}
    for row in rows:
        key = (row["TraceId"], row["SpanId"])
        if key in wanted:
            out[key] = search_span_row(span_to_json(row))
    return out


def search_span_row(span: dict[str, Any]) -> dict[str, Any]:
    """A span row for search results: the span plus the trace-level columns it carries."""
    out = query_public_span(span)
    out["duration_ms"] = (span["end_time_ns"] - span["start_time_ns"]) / 1e6
    out["project"] = span["_project"]
    out["session_id"] = span["_session_id"] or None
    out["user_id"] = span["_user_id"] or None
    out["run_id"] = span["_run_id"] or None
    return out
