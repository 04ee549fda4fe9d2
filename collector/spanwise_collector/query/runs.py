"""Runs: get one, search with filter_string/order_by, metric history, the traces of a run.

Reads never use FINAL: each table is grouped by its key and the newest version
picked with argMax (see store/runs_ddl.py). A search assembles, for the runs in
scope, one row per run with ``Metrics``/``Params``/``Tags`` maps (latest metric
values come from ``run_latest_metrics``, not the history) and applies the compiled
filter to that row; the filter's values are query parameters, never SQL text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from spanwise_collector.filters import (
    FilterError,
    decode_page_token,
    encode_page_token,
)

from ..store import ClickHouseStore
from .errors import QueryError
from .offset_page import MAX_RESULTS, open_offset_page
from .run_schema import RUN_SCHEMA
from .traces import SUMMARY_COLUMNS, summary_to_info

__all__ = [
    "MAX_RESULTS",
    "get_run",
    "metric_histories",
    "metric_history",
    "run_traces",
    "search_runs",
    "validate_run_id",
]

MAX_HISTORY = 1_000_000
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def validate_run_id(run_id: str) -> str:
    rid = run_id.strip().lower()
    if not _RUN_ID.match(rid):
        raise QueryError(f"invalid run id {run_id!r}: expected 32 hexadecimal characters")
    return rid


def json_float(value: float) -> float | str:
    """JSON has no NaN/Infinity: non-finite metric values travel as these strings."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _key_values(alias: str, column: str, table: str, value: str, scope: str) -> str:
    """LEFT JOIN of one run map (``column``) built from ``table``'s rows per key."""
    return f"""LEFT JOIN (
    SELECT RunId, mapFromArrays(groupArray(Key), groupArray(Value)) AS {column}
    FROM (
        SELECT RunId, Key, {value} AS Value
        FROM {table} WHERE RunId IN (SELECT RunId FROM runs WHERE {scope})
        GROUP BY RunId, Key
    ) GROUP BY RunId
) AS {alias} ON {alias}.RunId = r.RunId"""


def _runs_sql(scope: str) -> str:
    """One row per run in ``scope`` (a predicate on RunId/ExperimentId) with its maps:
    the latest value of each metric, the first of each param, the newest of each tag.

    The parent is the one ``nested=True`` recorded, else MLflow's ``mlflow.parentRunId``
    tag: how runs of other processes (sweep workers) are linked to their parent."""
    return f"""
SELECT
    r.RunId AS RunId, r.experiment AS ExperimentId,
    r.s.1 AS RunName, r.s.2 AS Status, r.s.3 AS StartTime, r.s.4 AS EndTime,
    nullIf(if(r.s.5 != '', r.s.5, t.Tags['mlflow.parentRunId']), '') AS ParentRunId,
    toUnixTimestamp64Milli(StartTime) AS start_ms,
    if(isNull(EndTime), NULL, toUnixTimestamp64Milli(assumeNotNull(EndTime))) AS end_ms,
    m.Metrics AS Metrics, p.Params AS Params, t.Tags AS Tags
FROM (
    SELECT RunId, any(ExperimentId) AS experiment,
           argMax((RunName, Status, StartTime, EndTime, ParentRunId), Version) AS s
    FROM runs WHERE {scope} GROUP BY RunId
) AS r
{_key_values("m", "Metrics", "run_latest_metrics", "tupleElement(argMaxMerge(Latest), 1)", scope)}
{_key_values("p", "Params", "run_params", "argMin(Value, LoggedAt)", scope)}
{_key_values("t", "Tags", "run_tags", "argMax(Value, Version)", scope)}
"""


def run_to_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "info": {
            "run_id": row["RunId"],
            "experiment_id": row["ExperimentId"],
            "run_name": row["RunName"],
            "status": row["Status"],
            "start_time": int(row["start_ms"]),
            "end_time": None if row["end_ms"] is None else int(row["end_ms"]),
            "parent_run_id": row["ParentRunId"] or None,
            "lifecycle_stage": "active",
        },
        "data": {
            "params": dict(row["Params"]),
            "metrics": {k: json_float(v) for k, v in dict(row["Metrics"]).items()},
            "tags": dict(row["Tags"]),
        },
    }


def get_run(store: ClickHouseStore, run_id: str) -> dict[str, Any] | None:
    rid = validate_run_id(run_id)
    rows = store.query_dicts(_runs_sql("RunId = {run_id:String}"), {"run_id": rid})
    return run_to_json(rows[0]) if rows else None


def search_runs(
    store: ClickHouseStore,
    experiment_ids: Sequence[str] = (),
    filter_string: str = "",
    order_by: Sequence[str] = (),
    max_results: int = 1000,
    page_token: str | None = None,
) -> dict[str, Any]:
    """Runs of ``experiment_ids`` (all experiments when empty) matching ``filter_string``.

    Default order: newest start first. Page tokens are offsets bound to the query
    (a token of another filter/order is refused).
    """
    experiment_ids = [str(e) for e in experiment_ids]
    order_by = list(order_by or ())
    fingerprint = json.dumps([sorted(experiment_ids), filter_string or "", order_by])
    page = open_offset_page(RUN_SCHEMA, filter_string, order_by, max_results, page_token,
                            fingerprint)  # fmt: skip
    params = page.params()
    scope = "1"
    if experiment_ids:
        scope = "ExperimentId IN {experiment_ids:Array(String)}"
        params["experiment_ids"] = experiment_ids
    ordering = f"{page.order.sql}, " if page.order.sql else "StartTime DESC, "
    sql = (
        f"SELECT * FROM ({_runs_sql(scope)}) WHERE {page.where.sql} "
        f"ORDER BY {ordering}RunId ASC LIMIT {{limit:UInt32}} OFFSET {{offset:UInt64}}"
    )
    rows, token = page.cut(store.query_dicts(sql, params))
    return {"runs": [run_to_json(r) for r in rows], "next_page_token": token}


def metric_history(
    store: ClickHouseStore, run_id: str, key: str, max_results: int = MAX_HISTORY
) -> dict[str, Any]:
    """Every point of one metric of one run, by step then timestamp (retries collapsed)."""
    rid = validate_run_id(run_id)
    if not key:
        raise QueryError("metric key is empty")
    rows = store.query(
        "SELECT Value, Step, Timestamp FROM run_metrics "
        "WHERE RunId = {run_id:String} AND Key = {key:String} "
        "ORDER BY Step, Timestamp, EventId LIMIT 1 BY Step, Timestamp, EventId "
        "LIMIT {limit:UInt32}",
        {"run_id": rid, "key": key, "limit": max_results},
    )
    return {
        "metrics": [
            {"key": key, "value": json_float(v), "step": int(s), "timestamp": int(ts)}
            for v, s, ts in rows
        ]
    }


def metric_histories(
    store: ClickHouseStore, run_ids: list[str], per_metric: int = MAX_HISTORY
) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """Every metric's (step, value) points for each run, in one query (charts):
    ``{run_id: {key: [(step, value), ...]}}``, at most ``per_metric`` points per metric,
    by step then timestamp (retries collapsed, as ``metric_history``)."""
    rids = [validate_run_id(r) for r in run_ids]
    if not rids:
        return {}
    rows = store.query(
        "SELECT RunId, Key, Step, Value FROM ("
        " SELECT RunId, Key, Step, Value, Timestamp, EventId FROM run_metrics"
        " WHERE RunId IN {run_ids:Array(String)}"
        " ORDER BY RunId, Key, Step, Timestamp, EventId"
        " LIMIT 1 BY RunId, Key, Step, Timestamp, EventId"
        ") LIMIT {limit:UInt32} BY RunId, Key",
        {"run_ids": rids, "limit": per_metric},
    )
    out: dict[str, dict[str, list[tuple[int, float]]]] = {rid: {} for rid in rids}
    for rid, key, step, value in rows:
        out[rid].setdefault(key, []).append((int(step), float(value)))
    for series in out.values():
        for points in series.values():
            points.sort(key=lambda p: p[0])  # stable: a step's points keep their time order
    return out


def run_traces(
    store: ClickHouseStore, run_id: str, limit: int = 100, page_token: str | None = None
) -> dict[str, Any]:
    """Traces whose spans carried this run id, newest first (keyset pages)."""
    rid = validate_run_id(run_id)
    if not 1 <= limit <= 1000:
        raise QueryError(f"max_results must be between 1 and 1000, got {limit}")
    params: dict[str, Any] = {"run_id": rid, "limit": limit + 1}
    having = ""
    if page_token:
        try:
            pos = decode_page_token(page_token, ("s", "t"), query=rid)
        except FilterError as err:
            raise QueryError(str(err)) from None
        if not isinstance(pos["s"], int) or not isinstance(pos["t"], str):
            raise QueryError("invalid page_token: pass the next_page_token of a previous page")
        having = "HAVING (start_ns, TraceId) < ({cursor_start:Int64}, {cursor_trace:String})"
        params["cursor_start"], params["cursor_trace"] = pos["s"], pos["t"]
    # The bloom filter on RunId finds the traces; all their partial summary rows are merged.
    sql = (
        f"SELECT {SUMMARY_COLUMNS} FROM trace_summary WHERE TraceId IN "
        "(SELECT TraceId FROM trace_summary WHERE RunId = {run_id:String}) "
        f"GROUP BY TraceId {having} ORDER BY start_ns DESC, TraceId DESC LIMIT {{limit:UInt32}}"
    )
    rows = store.query_dicts(sql, params)
    token = None
    if len(rows) > limit:
        rows = rows[:limit]
        token = encode_page_token(
            {"s": int(rows[-1]["start_ns"]), "t": rows[-1]["TraceId"]}, query=rid
        )
    return {"traces": [{"info": summary_to_info(r)} for r in rows], "next_page_token": token}
