"""One trace by id, and the row -> JSON shapes shared by the searches (search/)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from ..store import ClickHouseStore
from ..trace_tags.encoding import METADATA_SQL, TAGS_SQL, unstamp
from .errors import QueryError

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_PAGE = 1000
_DEFERRED = ("counted_in_child", "counted_in_parent")

SPAN_COLUMNS = """
    TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
    toUnixTimestamp64Nano(Timestamp) AS start_ns, Duration, StatusCode, StatusMessage,
    SpanAttributes, arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) AS ev_ts,
    Events.Name AS ev_name, Events.Attributes AS ev_attrs, Project, SpanType, Input, Output,
    Model, Provider, InputTokens, OutputTokens, CachedTokens, ReasoningTokens, Cost, CostStatus,
    CostBreakdown, PricingVersion,
    SessionId, UserId, RunId, TraceTags, TraceMetadata
"""

# The name and status of the span without a parent; without one (the trace was begun in
# another process), of the earliest span whose parent is remote (store/trace_entry_ddl.py).
TRACE_NAME_SQL = "if(max(RootSpanId) != '', max(Name), max(Entry).2)"
ROOT_ERROR_SQL = "if(max(RootSpanId) != '', max(RootError), max(Entry).3)"

SUMMARY_COLUMNS = f"""
    TraceId,
    min(Start) AS start,
    toUnixTimestamp64Nano(start) AS start_ns,
    toUnixTimestamp64Nano(max(End)) AS end_ns,
    {TRACE_NAME_SQL} AS name,
    {ROOT_ERROR_SQL} AS root_error,
    max(Project) AS project,
    sum(SpanCount) AS span_count,
    sum(InputTokens) AS input_tokens,
    sum(OutputTokens) AS output_tokens,
    sum(TotalCost) AS total_cost,
    sum(PricedSpans) AS priced_spans,
    max(SessionId) AS session_id,
    max(UserId) AS user_id,
    max(RunId) AS run_id,
    {TAGS_SQL} AS tags,
    {METADATA_SQL} AS metadata
"""


def validate_trace_id(trace_id: str) -> str:
    # MLflow names a trace "tr-" + its OpenTelemetry trace id: the same trace here.
    tid = trace_id.strip().lower().removeprefix("tr-")
    if not _TRACE_ID.match(tid):
        raise QueryError(f"invalid trace id {trace_id!r}: expected 32 hexadecimal characters")
    return tid


def _decode_json(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def money(value: Decimal | None) -> str | None:
    """Money as the API spells it: a plain decimal string (Decimals never become floats)."""
    return None if value is None else format(value.normalize(), "f")


def span_to_json(row: dict[str, Any]) -> dict[str, Any]:
    start = int(row["start_ns"])
    return {
        "trace_id": row["TraceId"],
        "span_id": row["SpanId"],
        "parent_id": row["ParentSpanId"] or None,
        "name": row["SpanName"],
        "kind": row["SpanKind"],
        "service_name": row["ServiceName"],
        "span_type": row["SpanType"] or "UNKNOWN",
        # OTel's UNSET means "no error": reported as OK, like MLflow does.
        "status": "ERROR" if row["StatusCode"] == "Error" else "OK",
        "status_message": row["StatusMessage"],
        "start_time_ns": start,
        "end_time_ns": start + int(row["Duration"]),
        "inputs": _decode_json(row["Input"]),
        "outputs": _decode_json(row["Output"]),
        "attributes": dict(row["SpanAttributes"]),
        "events": [
            {"name": name, "timestamp_ns": int(ts), "attributes": dict(attrs)}
            for ts, name, attrs in zip(row["ev_ts"], row["ev_name"], row["ev_attrs"])
        ],
        "model": row["Model"] or None,
        "provider": row["Provider"] or None,
        "input_tokens": row["InputTokens"] if row["Model"] or row["InputTokens"] else None,
        "output_tokens": row["OutputTokens"] if row["Model"] or row["OutputTokens"] else None,
        "cached_tokens": row["CachedTokens"] if row["Model"] or row["CachedTokens"] else None,
        "reasoning_tokens": row["ReasoningTokens"]
        if row["Model"] or row["ReasoningTokens"]
        else None,
        "cost": money(row["Cost"]),
        "cost_status": row["CostStatus"] or None,
        "cost_breakdown": {k: money(v) for k, v in row["CostBreakdown"].items()},
        "pricing_version": row["PricingVersion"] or None,
        "_project": row["Project"],
        "_session_id": row["SessionId"],
        "_user_id": row["UserId"],
        "_run_id": row["RunId"],
        "_tags": dict(row["TraceTags"]),
        "_metadata": dict(row["TraceMetadata"]),
    }


def info_from_spans(trace_id: str, spans: list[dict[str, Any]]) -> dict[str, Any]:
    """Trace-level info computed from its (deduplicated) spans, by the summary's rules."""
    ids = {s["span_id"] for s in spans}
    roots = [s for s in spans if not s["parent_id"]] or [
        s for s in spans if s["parent_id"] not in ids
    ]
    root = min(roots, key=lambda s: s["start_time_ns"]) if roots else spans[0]
    start = min(s["start_time_ns"] for s in spans)
    end = max(s["end_time_ns"] for s in spans)
    costs = [Decimal(s["cost"]) for s in spans if s["cost"] is not None]
    # Each key's latest write, then the greater value: the summary's maxMap of stamped values.
    tags: dict[str, tuple[int, str]] = {}
    metadata: dict[str, tuple[int, str]] = {}
    for s in spans:
        for merged, own in ((tags, s["_tags"]), (metadata, s["_metadata"])):
            for key, value in own.items():
                merged[key] = max(merged.get(key, (-2, "")), unstamp(value))
    return {
        "trace_id": trace_id,
        "name": root["name"],
        "status": "ERROR" if root["status"] == "ERROR" else "OK",
        "project": root["_project"],
        "start_time_ms": start // 1_000_000,
        "end_time_ms": end // 1_000_000,
        "duration_ms": (end - start) / 1e6,
        "span_count": len(spans),
        # A call recorded twice (framework + client span) counts once: see docs/pricing.md.
        "input_tokens": sum(
            s["input_tokens"] or 0 for s in spans if s["cost_status"] not in _DEFERRED
        ),
        "output_tokens": sum(
            s["output_tokens"] or 0 for s in spans if s["cost_status"] not in _DEFERRED
        ),
        "cost": money(sum(costs, Decimal(0))) if costs else None,
        "session_id": max((s["_session_id"] for s in spans), default="") or None,
        "user_id": max((s["_user_id"] for s in spans), default="") or None,
        "run_id": max((s["_run_id"] for s in spans), default="") or None,
        "tags": {k: v for k, (_, v) in tags.items()},
        "metadata": {k: v for k, (_, v) in metadata.items()},
    }


def public_span(span: dict[str, Any]) -> dict[str, Any]:
    """A span as the API returns it: without the trace-level ``_`` columns."""
    return {k: v for k, v in span.items() if not k.startswith("_")}


# The spans table is ordered by (TraceId, SpanId) but partitioned by day: a lookup by id
# alone reads a granule in every part of every day. trace_times (migration 6) knows each
# trace's [first span start, last span end] (every version of a span keeps its
# Timestamp); this scalar subquery (same round trip, evaluated once) lets ClickHouse skip
# the parts whose Timestamp range is outside. No row (not through the collector): no bound.
TRACE_BOUNDS = (
    "WITH (SELECT (ifNull(minOrNull(Start), toDateTime64(0, 9)),"
    " ifNull(maxOrNull(End), toDateTime64('2262-04-11 00:00:00', 9, 'UTC')))"
    " FROM trace_times WHERE TraceId IN {ids:Array(String)}) AS bounds "
)
IN_BOUNDS = "Timestamp >= bounds.1 AND Timestamp <= bounds.2"
# PREWHERE on the id alone: left to itself ClickHouse puts the bound into PREWHERE too, and
# then reads a Timestamp granule in every part of the day besides TraceId's. A day holds
# many parts until merges catch up (~13 per day after the benchmark's 10M load): there this
# opened 43% fewer files and read 35% fewer bytes: by id 29.5 -> 24.1 ms p50 in-process
# (QUERY-PROFILE.md, session 7).
# The bound still prunes parts by their Timestamp range (that is index analysis, not a read).
_SPANS_BY_ID = (
    f"{TRACE_BOUNDS}SELECT {SPAN_COLUMNS} FROM otel_traces PREWHERE TraceId IN "
    f"{{ids:Array(String)}} WHERE {IN_BOUNDS} "
    "ORDER BY IngestedAt DESC LIMIT 1 BY TraceId, SpanId"
)


def attach_spans(store: ClickHouseStore, traces: list[dict[str, Any]]) -> None:
    """Add ``spans`` to each ``{"info": ...}`` trace (one query for all of them)."""
    spans = fetch_spans(store, [t["info"]["trace_id"] for t in traces])
    for t in traces:
        t["spans"] = [public_span(s) for s in spans.get(t["info"]["trace_id"], [])]


def fetch_spans(store: ClickHouseStore, trace_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Spans of the given traces; the newest version of each span (re-deliveries collapse)."""
    if not trace_ids:
        return {}
    rows = store.query_dicts(_SPANS_BY_ID, {"ids": trace_ids})
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["TraceId"], []).append(span_to_json(row))
    for spans in out.values():
        spans.sort(key=lambda s: (s["start_time_ns"], s["span_id"]))
    return out


def get_trace(store: ClickHouseStore, trace_id: str) -> dict[str, Any] | None:
    tid = validate_trace_id(trace_id)
    spans = fetch_spans(store, [tid]).get(tid)
    if not spans:
        return None
    return {"info": info_from_spans(tid, spans), "spans": [public_span(s) for s in spans]}


def summary_to_info(row: dict[str, Any]) -> dict[str, Any]:
    start, end = int(row["start_ns"]), int(row["end_ns"])
    return {
        "trace_id": row["TraceId"],
        "name": row["name"],
        "status": "ERROR" if row["root_error"] else "OK",
        "project": row["project"],
        "start_time_ms": start // 1_000_000,
        "end_time_ms": end // 1_000_000,
        "duration_ms": (end - start) / 1e6,
        "span_count": int(row["span_count"]),
        "input_tokens": int(row["input_tokens"]),
        "output_tokens": int(row["output_tokens"]),
        "cost": money(row["total_cost"]) if row["priced_spans"] else None,
        "session_id": row["session_id"] or None,
        "user_id": row["user_id"] or None,
        "run_id": row["run_id"] or None,
        "tags": dict(row["tags"]),
        "metadata": dict(row["metadata"]),
    }
