"""Aggregates over traces or spans: count, cost, tokens, latency quantiles, error rate,
grouped by model, provider, span name/type, trace name, project, user, session, tag
value, time bucket and (traces) a feedback's value, within a time window and a filter;
at trace level also the mean of a numeric (or true/false) feedback: ``feedback_avg:<name>``.

level="span": every span in the window (its newest version: re-delivered and repriced
rows collapse), filtered with the span schema; user, session, trace name and tags are
trace attributes read from the grouped summary. level="trace": one row per trace from
the grouped summary, filtered with the trace schema. A call recorded twice (framework
span + client span) counts its tokens once, as in the cost totals.

Span-level requests whose keys and metrics the hourly rollup keeps (count, cost, tokens,
errors by model/provider/span name/type/project/hour/day), with no filter or one on the
rollup's key columns only (span.name/type/status/model/provider/cost_status, see
``rollup_filter.py``), read whole hours from the rollup and scan only the edge hours
(``query/rollup.py``), the filter applied to both: same result as the scan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from spanwise_collector.filters import Node, compile_filter, parse_filter

from ..query.errors import QueryError
from ..query.rollup import (
    EDGE_HOURS,
    POOL,
    REVISED,
    ROLLUP_KEYS,
    ROLLUP_NEEDS,
    add_up,
    edge_value,
    hour_params,
    newest_spans,
    rollup_hours,
    rollup_rows,
)
from ..query.traces import money
from ..store import ClickHouseStore
from .rollup_filter import REPRICED_FIELDS, rollup_fields
from .schema import FEEDBACK_BY_TRACE, SPAN_SCHEMA, TRACE_SCHEMA, grouped_summary_sql
from .traces import SUMMARY_RANGE, summary_range_where
from .window import Window, open_window

__all__ = ["GROUP_KEYS", "METRICS", "analytics"]

METRICS = ("count", "cost", "input_tokens", "output_tokens", "p50_ms", "p90_ms", "p99_ms",
           "error_count", "error_rate")  # fmt: skip
MAX_GROUPS = 10_000
_DEFERRED = "CostStatus IN ('counted_in_child', 'counted_in_parent')"

# group key -> SQL for each level (None: not available at that level).
_SPAN_KEYS = {
    "model": "s.Model",
    "provider": "s.Provider",
    "span_name": "toString(s.SpanName)",
    "span_type": "toString(s.SpanType)",
    "project": "toString(s.Project)",
    "trace_name": "t.name",
    "user": "t.user_id",
    "session": "t.session_id",
    "hour": "formatDateTime(toStartOfHour(s.Timestamp, 'UTC'), '%Y-%m-%dT%H:00:00Z', 'UTC')",
    "day": "toString(toDate(s.Timestamp, 'UTC'))",
}
_TRACE_KEYS = {
    "trace_name": "name",
    "project": "project",
    "user": "user_id",
    "session": "session_id",
    "hour": "formatDateTime(toStartOfHour(start, 'UTC'), '%Y-%m-%dT%H:00:00Z', 'UTC')",
    "day": "toString(toDate(start, 'UTC'))",
}
GROUP_KEYS = (*_SPAN_KEYS, "tag:<key>", "feedback:<name>")
FEEDBACK_AVG = "feedback_avg:"

_SPAN_METRICS = {
    "count": "count()",
    "cost": "sum(ifNull(s.Cost, toDecimal64(0, 9)))",
    "priced": "countIf(s.Cost IS NOT NULL)",
    "input_tokens": f"sumIf(s.InputTokens, NOT s.{_DEFERRED})",
    "output_tokens": f"sumIf(s.OutputTokens, NOT s.{_DEFERRED})",
    "quantiles": "quantilesExactInclusive(0.5, 0.9, 0.99)(s.Duration / 1e6)",
    "errors": "countIf(s.StatusCode = 'Error')",
}
_TRACE_METRICS = {
    "count": "count()",
    "cost": "sum(if(priced_spans > 0, total_cost, toDecimal128(0, 9)))",
    "priced": "countIf(priced_spans > 0)",
    "input_tokens": "sum(input_tokens)",
    "output_tokens": "sum(output_tokens)",
    "quantiles": "quantilesExactInclusive(0.5, 0.9, 0.99)((end_ns - start_ns) / 1e6)",
    "errors": "countIf(root_error > 0)",
}
_FINAL_SETTINGS = " SETTINGS do_not_merge_across_partitions_select_final = 1"
_FILTER_COLS = ("SpanName", "SpanType", "StatusCode", "Model", "Provider", "CostStatus")
_SPAN_COLS = ("TraceId, SpanId, Timestamp, Project, SpanName, SpanType, Model, Provider, "
              "Duration, StatusCode, Cost, CostStatus, InputTokens, OutputTokens")  # fmt: skip


def _keys(group_by: Sequence[str], level: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    table = _SPAN_KEYS if level == "span" else _TRACE_KEYS
    out: list[tuple[str, str]] = []
    for n, key in enumerate(group_by):
        if key.startswith("tag:") and len(key) > 4:
            params[f"tag{n}"] = key[4:]
            expr = f"{'t.' if level == 'span' else ''}tags[{{tag{n}:String}}]"
        elif key.startswith("feedback:") and len(key) > 9:
            if level != "trace":
                raise QueryError(f"group_by {key!r} needs level=trace (feedback is per trace)")
            params[f"fb{n}"] = key[9:]
            expr = f"fb.feedback[{{fb{n}:String}}]"  # '' for traces without one
        elif key in table:
            expr = table[key]
        elif key in _SPAN_KEYS:
            raise QueryError(f"group_by {key!r} needs level=span (a trace has many spans)")
        else:
            raise QueryError(f"invalid group_by {key!r}: use any of {', '.join(GROUP_KEYS)}")
        out.append((key, expr))
    if len({k for k, _ in out}) != len(out):
        raise QueryError("group_by lists a key twice")
    if len(out) > 5:
        raise QueryError("group_by takes at most 5 keys")
    return out


def _feedback_metrics(
    wanted: Sequence[str], level: str, params: dict[str, Any]
) -> list[tuple[str, str]]:
    """(metric, SQL) of each ``feedback_avg:<name>``: the mean over the traces with that
    feedback of its newest value, true as 1 and false as 0; text values do not count."""
    out: list[tuple[str, str]] = []
    for n, metric in enumerate(wanted):
        if not metric.startswith(FEEDBACK_AVG) or len(metric) == len(FEEDBACK_AVG):
            continue
        if level != "trace":
            raise QueryError(f"metric {metric!r} needs level=trace (feedback is per trace)")
        params[f"fbm{n}"] = metric[len(FEEDBACK_AVG) :]
        value = f"fb.feedback[{{fbm{n}:String}}]"
        out.append((metric, f"avgOrNull(multiIf({value} = 'true', 1., {value} = 'false', 0.,"
                            f" toFloat64OrNull({value})))"))  # fmt: skip
    return out


def analytics(
    store: ClickHouseStore,
    *,
    group_by: Sequence[str] = (),
    metrics: Sequence[str] | None = None,
    filter: str | None = None,
    since: Any = None,
    until: Any = None,
    project: str | None = None,
    level: str = "span",
    limit: int = 1000,
    use_rollup: bool = True,
) -> dict[str, Any]:
    """``use_rollup=False`` forces the span scan (tests compare the two paths)."""
    if level not in ("span", "trace"):
        raise QueryError(f"level must be 'span' or 'trace', not {level!r}")
    wanted = list(metrics) if metrics else list(METRICS)
    if len(set(wanted)) != len(wanted):
        raise QueryError("metrics lists a metric twice")
    params: dict[str, Any] = {"limit": limit}
    feedback = _feedback_metrics(wanted, level, params)
    bad = sorted(set(wanted) - set(METRICS) - {m for m, _ in feedback})
    if bad:
        raise QueryError(
            f"unknown metrics {bad}; choose from {', '.join(METRICS)}, {FEEDBACK_AVG}<name>"
        )
    if not 1 <= limit <= MAX_GROUPS:
        raise QueryError(f"limit must be between 1 and {MAX_GROUPS}")
    window = open_window("analytics", filter=filter, order_by=None, since=since, until=until,
                         project=project, page_token=None, max_results=1)  # fmt: skip
    params.update(window.params)
    keys = _keys(group_by, level, params)
    needed = ["count", *sorted({n for m in wanted if m in _NEEDS for n in _NEEDS[m]})]
    node = parse_filter(filter) if filter else None
    fields = rollup_fields(node) if level == "span" else None
    hours = None
    if (use_rollup and fields is not None and all(k in ROLLUP_KEYS for k, _ in keys)
            and set(needed) <= ROLLUP_NEEDS):  # fmt: skip
        hours = rollup_hours(store, window.since, window.until)
    if hours is not None:
        params.update(hour_params(hours))
    # see _from_rollup
    filter_after = bool(fields and fields & REPRICED_FIELDS)
    optimistic = not filter_after
    if hours is not None:
        found = _from_rollup(store, keys, needed, node, window, params, optimistic, filter_after)
        del found[limit:]
    else:
        found = store.query_dicts(
            _sql(store, keys, needed, node, window, level, params, feedback), params
        )
    rows = []
    for row in found:
        if not keys and not row["m_count"]:
            continue
        rows.append(_row(row, keys, wanted, feedback))
    return {
        "level": level,
        "group_by": [k for k, _ in keys],
        "metrics": wanted,
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "project": project or None,
        "rows": rows,
    }


def _sql(
    store: ClickHouseStore,
    keys: list[tuple[str, str]],
    needed: list[str],
    node: Node | None,
    window: Window,
    level: str,
    params: dict[str, Any],
    feedback: Sequence[tuple[str, str]] = (),
) -> str:
    """The analytics query over the spans (newest versions) or the traces' summaries."""
    if level == "span":
        where = compile_filter(node, SPAN_SCHEMA)
        source = _span_source(where.sql, window.project, needs_trace=any(
            e.startswith("t.") or "t.tags" in e for _, e in keys))  # fmt: skip
        agg = _SPAN_METRICS
    else:
        where = compile_filter(node, TRACE_SCHEMA)
        summary_where = summary_range_where(window.project)
        source = (
            f"({grouped_summary_sql(None, summary_where)}) WHERE start >= {{w_since:DateTime64(9)}}"
            f" AND start < {{w_until:DateTime64(9)}} AND ({where.sql})"
        )
        source = f"(SELECT * FROM {source})"
        if feedback or any(expr.startswith("fb.") for _, expr in keys):
            # each trace's newest live feedback per name (search/schema.py)
            source += f" AS tr LEFT JOIN ({FEEDBACK_BY_TRACE}) AS fb ON tr.TraceId = fb.TraceId"
        agg = _TRACE_METRICS
    params.update(where.params)
    cols = [f"{expr} AS k{n}" for n, (_, expr) in enumerate(keys)]
    cols += [f"{sql} AS m_{name}" for name, sql in agg.items() if name in needed]
    cols += [f"{sql} AS m_fb{n}" for n, (_, sql) in enumerate(feedback)]
    if level == "span":  # read only the span columns this query uses
        used = set(re.findall(r"\bs\.(\w+)", " ".join(cols))) | {"TraceId"}
        source = source.replace(_SPAN_COLS, ", ".join(sorted(used)), 1)
    sql = f"SELECT {', '.join(cols)} FROM {source}"
    if keys:
        order = ", ".join(f"k{n}" for n in range(len(keys)))
        sql += f" GROUP BY {order} ORDER BY {order}"
    sql += " LIMIT {limit:UInt32}"
    if level == "span":
        sql += _FINAL_SETTINGS
    return sql


def _from_rollup(
    store: ClickHouseStore,
    keys: list[tuple[str, str]],
    needed: list[str],
    node: Node | None,
    window: Window,
    params: dict[str, Any],
    optimistic: bool,
    filter_after: bool,
) -> list[dict[str, Any]]:
    """Whole hours from the rollup plus the edge hours' spans, summed per group: two
    grouped queries at once (``query/rollup.py``). The edge query first reads every
    version (no count query) and is redone exactly when it read a repriced one (``newest_spans``);
    with a filter on a field reprice changes, the newest versions are chosen first, then
    filtered (``rollup_filter.py``). The filter applies to both parts (same columns)."""
    where = compile_filter(node, SPAN_SCHEMA)
    params.update(where.params)
    names = [k for k, _ in keys]
    rollup_sql = _grouped(rollup_rows(names, needed, window.project, where.sql), len(keys), needed)
    rollup = POOL.submit(store.query_dicts, rollup_sql, params)
    edge = store.query_dicts(
        _edge_sql(store, keys, needed, where.sql, window, params, optimistic, filter_after), params
    )
    if optimistic and any(row[f"m_{REVISED}"] for row in edge):
        edge = store.query_dicts(
            _edge_sql(store, keys, needed, where.sql, window, params, False, filter_after), params
        )
    return _merged(edge, rollup.result(), len(keys), needed)


def _edge_sql(
    store: ClickHouseStore,
    keys: list[tuple[str, str]],
    needed: list[str],
    where: str,
    window: Window,
    params: dict[str, Any],
    optimistic: bool,
    filter_after: bool,
) -> str:
    """The edge hours' spans (no FINAL: see ``newest_spans``), grouped like the rollup."""
    cond = " AND ".join(_span_conditions("1" if filter_after else where, window.project,
                                         skip_hours=True))  # fmt: skip
    edge = newest_spans(store, _SPAN_COLS, cond, params, optimistic=optimistic)
    if filter_after:  # on rollup key columns (_FILTER_COLS), all in _SPAN_COLS
        edge = f"SELECT * FROM ({edge}) WHERE {where}"
    values = [*needed, REVISED]
    # one row per edge span, typed like a rollup row
    cols = [f"toString({expr}) AS p_k{n}" for n, (_, expr) in enumerate(keys)]
    cols += [f"{edge_value(name)} AS p_{name}" for name in values]
    used = set(re.findall(r"\bs\.(\w+)", " ".join(cols))) | {"TraceId"}
    if filter_after:
        used |= set(_FILTER_COLS)
    source = edge.replace(_SPAN_COLS, ", ".join(sorted(used)), 1)
    return _grouped(f"SELECT {', '.join(cols)} FROM ({source}) AS s", len(keys), values)


def _grouped(rows_sql: str, n_keys: int, values: Sequence[str]) -> str:
    """``rows_sql``'s p_k<n> and p_<value> columns summed per group as k<n>, m_<value>."""
    cols = [f"p_k{n} AS k{n}" for n in range(n_keys)]
    cols += [f"sum(p_{name}) AS m_{name}" for name in values]
    sql = f"SELECT {', '.join(cols)} FROM ({rows_sql})"
    if n_keys:
        sql += " GROUP BY " + ", ".join(f"k{n}" for n in range(n_keys))
    return sql


def _merged(
    edge: list[dict[str, Any]], rollup: list[dict[str, Any]], n_keys: int, needed: list[str]
) -> list[dict[str, Any]]:
    """Both parts added up, in key order (strings: as ClickHouse orders their UTF-8
    bytes); groups whose rollup rows cancelled out (reprice deltas) are none."""
    keys = [f"k{n}" for n in range(n_keys)]
    rows = add_up((edge, rollup), keys, [f"m_{name}" for name in needed])
    rows.sort(key=lambda row: tuple(row[k] for k in keys))
    return [row for row in rows if row["m_count"]] if n_keys else rows


def _span_conditions(where: str, project: str, skip_hours: bool = False) -> list[str]:
    conditions = ["Timestamp >= {w_since:DateTime64(9)}", "Timestamp < {w_until:DateTime64(9)}"]
    if skip_hours:  # the rollup answers [r_from, r_until)
        conditions.append(EDGE_HOURS)
    if project:
        conditions.append("Project = {w_project:String}")
    conditions.append(f"({where})")
    return conditions


def _span_source(where: str, project: str, needs_trace: bool) -> str:
    conditions = _span_conditions(where, project)
    # The newest version of each span (re-deliveries, repriced rows). A span's versions
    # share its Timestamp, hence its daily partition, so FINAL need not merge across
    # partitions (see _FINAL_SETTINGS): measured at 1M spans, 2x the cost of no dedup,
    # where ORDER BY … LIMIT 1 BY was 6x and GROUP BY + argMax 4x.
    spans = f"SELECT {_SPAN_COLS} FROM otel_traces FINAL WHERE {' AND '.join(conditions)}"
    source = f"({spans}) AS s"
    if needs_trace:
        summary_where = (
            SUMMARY_RANGE
            + " AND TraceId IN (SELECT TraceId FROM otel_traces WHERE "
            + " AND ".join(conditions)
            + ")"
        )
        aliases = ("name", "user_id", "session_id", "tags")
        source += f" LEFT JOIN ({grouped_summary_sql(aliases, summary_where)}) AS t ON s.TraceId = t.TraceId"
    return source


# metric -> the aggregates (m_<name> columns) it is computed from
_NEEDS: dict[str, set[str]] = {
    "count": set(), "cost": {"cost", "priced"}, "input_tokens": {"input_tokens"},
    "output_tokens": {"output_tokens"}, "p50_ms": {"quantiles"}, "p90_ms": {"quantiles"},
    "p99_ms": {"quantiles"}, "error_count": {"errors"}, "error_rate": {"errors"},
}  # fmt: skip


def _row(
    row: dict[str, Any],
    keys: list[tuple[str, str]],
    wanted: list[str],
    feedback: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    count = int(row["m_count"])
    q = row.get("m_quantiles") or [None, None, None]
    errors = int(row["m_errors"]) if "m_errors" in row else 0
    computed: dict[str, Callable[[], Any]] = {
        "count": lambda: count,
        "cost": lambda: money(Decimal(row["m_cost"])) if row["m_priced"] else None,
        "input_tokens": lambda: int(row["m_input_tokens"]),
        "output_tokens": lambda: int(row["m_output_tokens"]),
        "p50_ms": lambda: _float(q[0]),
        "p90_ms": lambda: _float(q[1]),
        "p99_ms": lambda: _float(q[2]),
        "error_count": lambda: errors,
        "error_rate": lambda: errors / count if count else None,
    }
    for n, (metric, _) in enumerate(feedback):
        computed[metric] = lambda n=n: _float(row[f"m_fb{n}"])
    out: dict[str, Any] = {"key": {name: row[f"k{n}"] for n, (name, _) in enumerate(keys)}}
    out.update({m: computed[m]() for m in wanted})
    return out


def _float(value: Any) -> float | None:
    if value is None or value != value:
        return None
    return float(value)
