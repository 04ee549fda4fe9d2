"""Cost totals grouped by model/provider/project/day/user/session/tag, and unknown models.

Every span version is deduplicated (newest ``IngestedAt`` per span, so repriced spans count
at their new cost) and a call recorded twice counts once (spans whose cost is counted in a
child or parent are left out). Only parameters reach the SQL; group keys come from a fixed
table of expressions, a tag key is a parameter too.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..pipeline.normalize import PRICED_TYPES
from ..store import ClickHouseStore
from ..trace_tags.encoding import TAGS_SQL
from .errors import QueryError
from .rollup import EDGE_HOURS, POOL, add_up, hour_params, newest_spans, rollup_hours

__all__ = ["GROUP_KEYS", "cost_summary", "parse_time", "unknown_models"]

_PRICED = sorted(PRICED_TYPES)
# Span-level keys, and trace-level keys read from the trace summary (set on any span).
_SPAN_KEYS = {
    "model": "c.Model",
    "provider": "c.Provider",
    "project": "c.Project",
    "day": "toString(toDate(c.Timestamp))",
}
_TRACE_KEYS = {"user": "t.user_id", "session": "t.session_id"}
GROUP_KEYS = (*_SPAN_KEYS, *_TRACE_KEYS, "tag:<key>")
MAX_GROUP_ROWS = 10_000
_RELATIVE = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

# The newest version of every model-call span in [since, until) that carries its call's cost.
_CALL_COLUMNS = ("TraceId, SpanId, Timestamp, Project, Model, Provider, InputTokens, OutputTokens,"
                 " CachedTokens, ReasoningTokens, Cost, CostStatus")  # fmt: skip
# The rollup's edge hours: no SpanId (no dedup sort), so the time projection serves them.
_EDGE_COLUMNS = _CALL_COLUMNS.replace("SpanId, ", "")
_CALL_WINDOW = (
    "Timestamp >= {since:DateTime64(9)} AND Timestamp < {until:DateTime64(9)}"
    " AND SpanType IN {priced:Array(String)}"
)
_CALLS = (
    f"SELECT {_CALL_COLUMNS} FROM otel_traces WHERE {_CALL_WINDOW} %s"
    " ORDER BY IngestedAt DESC LIMIT 1 BY TraceId, SpanId"
)
_COUNTED = "CostStatus NOT IN ('counted_in_child', 'counted_in_parent', '')"


# DateTime64(9) holds 1900..2262: a time outside it fails in the store (or overflows
# Python's datetime first), so it is refused here, by the parameter's name.
EARLIEST = datetime(1900, 1, 2, tzinfo=UTC)
LATEST = datetime(2261, 12, 30, tzinfo=UTC)


def parse_time(value: str | None, *, default: datetime, name: str = "time") -> datetime:
    """ISO date/datetime (naive = UTC), epoch milliseconds, or relative (``7d``, ``12h``,
    ``30m``); QueryError naming ``name`` (the parameter) if invalid or out of range."""
    if value is None or not value.strip():
        return default
    try:
        parsed = _parse_time(value.strip())
    except (OverflowError, OSError, ValueError):
        parsed = EARLIEST - timedelta(days=1)  # a number too large for datetime
    if parsed is None:
        raise QueryError(
            f"invalid {name} {value!r}: use an ISO date/datetime, epoch milliseconds or a "
            "relative time such as 7d, 12h, 30m"
        )
    if not EARLIEST <= parsed <= LATEST:
        raise QueryError(f"{name} {value!r} is out of range (years 1900 to 2261)")
    return parsed


def _parse_time(text: str) -> datetime | None:
    rel = _RELATIVE.match(text)
    if rel:
        return datetime.now(UTC) - timedelta(**{_UNITS[rel[2]]: int(rel[1])})
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _group_exprs(group_by: list[str], params: dict[str, Any]) -> tuple[list[tuple[str, str]], bool]:
    exprs: list[tuple[str, str]] = []
    needs_trace = False
    for n, key in enumerate(group_by):
        if key in _SPAN_KEYS:
            exprs.append((key, _SPAN_KEYS[key]))
        elif key in _TRACE_KEYS:
            exprs.append((key, _TRACE_KEYS[key]))
            needs_trace = True
        elif key.startswith("tag:") and len(key) > 4:
            params[f"tag{n}"] = key[4:]
            exprs.append((key, f"t.tags[{{tag{n}:String}}]"))
            needs_trace = True
        else:
            raise QueryError(f"invalid group_by {key!r}: use any of {', '.join(GROUP_KEYS)}")
    if len({k for k, _ in exprs}) != len(exprs):
        raise QueryError("group_by lists a key twice")
    return exprs, needs_trace


def _money(value: Decimal | None) -> str:
    return format((value or Decimal(0)).normalize(), "f")


def cost_summary(
    store: ClickHouseStore,
    group_by: list[str],
    since: datetime,
    until: datetime,
    project: str | None = None,
    use_rollup: bool = True,
) -> dict[str, Any]:
    """Totals per group: cost (Decimal as string), tokens, calls, calls without a price.
    ``use_rollup=False`` forces the span scan (tests compare the two paths)."""
    if since >= until:
        raise QueryError("since must be before until")
    params: dict[str, Any] = {
        "since": since.replace(tzinfo=None), "until": until.replace(tzinfo=None),
        "priced": _PRICED,
    }  # fmt: skip
    exprs, needs_trace = _group_exprs(group_by, params)
    where = ""
    if project:
        where = "AND Project = {project:String}"
        params["project"] = project
    # Whole hours from the hourly rollup when no trace attribute is needed; edges scanned.
    hours = rollup_hours(store, since, until) if use_rollup and not needs_trace else None
    if hours is None:
        calls = _CALLS % where
    else:  # the edge hours only, without the dedup sort (see newest_spans)
        params.update(hour_params(hours))
        cond = f"{_CALL_WINDOW} {where} AND {EDGE_HOURS}"
        calls = newest_spans(store, _EDGE_COLUMNS, cond, params)
    source = f"(SELECT * FROM ({calls}) WHERE {_COUNTED}) AS c"
    if needs_trace:
        # User, session and tags are trace attributes set on any span: join the summary.
        source += (
            " LEFT JOIN (SELECT TraceId, max(UserId) AS user_id, max(SessionId) AS session_id,"
            f" {TAGS_SQL} AS tags FROM trace_summary WHERE TraceId IN"
            f" (SELECT TraceId FROM ({calls})) GROUP BY TraceId) AS t ON c.TraceId = t.TraceId"
        )
    names = [f"k{n}" for n in range(len(exprs))]
    group = (" GROUP BY " + ", ".join(names)) if names else ""
    if hours is None:
        cols = [f"{expr} AS k{n}" for n, (_, expr) in enumerate(exprs)]
        cols += [f"{scan} AS {name}" for name, (scan, _) in _TOTALS.items()]
        select = f"SELECT {', '.join(cols)} FROM {source}{group}"
        if exprs:
            select += f" ORDER BY cost DESC, calls DESC LIMIT {MAX_GROUP_ROWS}"
        rows = store.query_dicts(select, params)
    else:  # the edge scan's and the rollup's totals, at once, added up per group
        scan = [f"toString({expr}) AS {k}" for (_, expr), k in zip(exprs, names)]
        scan += [f"{sql} AS {name}" for name, (sql, _) in _TOTALS.items()]
        rollup = [f"toString({_ROLLUP_KEYS[key]}) AS {k}" for (key, _), k in zip(exprs, names)]
        rollup += [f"{sql} AS {name}" for name, (_, sql) in _TOTALS.items()]
        rollup_sql = (
            f"SELECT {', '.join(rollup)} FROM span_rollup_hourly WHERE {_ROLLUP_WHERE}"
            + (" AND Project = {project:String}" if project else "")
            + group
        )
        rollup_rows = POOL.submit(store.query_dicts, rollup_sql, params)
        edge_rows = store.query_dicts(f"SELECT {', '.join(scan)} FROM {source}{group}", params)
        rows = add_up((edge_rows, rollup_rows.result()), names, list(_TOTALS))
        if exprs:  # groups whose rollup rows cancelled out (reprice deltas) are none
            rows = [row for row in rows if row["calls"]]
            rows.sort(key=lambda row: (row["cost"], row["calls"]), reverse=True)
            del rows[MAX_GROUP_ROWS:]
    out_rows = []
    for row in rows:
        if not exprs and not row["calls"]:
            continue
        out_rows.append(
            {
                "key": {name: row[f"k{n}"] for n, (name, _) in enumerate(exprs)},
                "cost": _money(row["cost"]),
                "input_tokens": int(row["input_tokens"]),
                "output_tokens": int(row["output_tokens"]),
                "cached_tokens": int(row["cached_tokens"]),
                "reasoning_tokens": int(row["reasoning_tokens"]),
                "calls": int(row["calls"]),
                "unpriced_calls": int(row["unpriced_calls"]),
            }
        )
    total = {
        "key": {},
        "cost": _money(sum((Decimal(r["cost"]) for r in out_rows), Decimal(0))),
        **{
            f: sum(r[f] for r in out_rows)
            for f in ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens",
                      "calls", "unpriced_calls")
        },
    }  # fmt: skip
    return {
        "group_by": [name for name, _ in exprs],
        "since": since.isoformat(),
        "until": until.isoformat(),
        "project": project,
        "rows": out_rows,
        "total": total,
    }


# total -> (over the scanned calls, over the rollup rows)
_TOTALS = {
    "cost": ("sum(ifNull(c.Cost, toDecimal64(0, 9)))", "sum(TotalCost)"),
    "input_tokens": ("sum(c.InputTokens)", "sum(InputTokens)"),
    "output_tokens": ("sum(c.OutputTokens)", "sum(OutputTokens)"),
    "cached_tokens": ("sum(c.CachedTokens)", "sum(CachedTokens)"),
    "reasoning_tokens": ("sum(c.ReasoningTokens)", "sum(ReasoningTokens)"),
    "calls": ("count()", "sum(SpanCount)"),
    "unpriced_calls": ("countIf(c.Cost IS NULL)", "sum(SpanCount - PricedSpans)"),
}
# Same text as the scan's keys; `day` is the server's date of the hour, as toDate(Timestamp).
_ROLLUP_KEYS = {"model": "Model", "provider": "Provider", "project": "Project",
                "day": "toDate(Hour)"}  # fmt: skip
_ROLLUP_WHERE = (
    "Hour >= {r_from:DateTime('UTC')} AND Hour < {r_until:DateTime('UTC')}"
    f" AND SpanType IN {{priced:Array(String)}} AND {_COUNTED}"
)


def unknown_models(
    store: ClickHouseStore, since: datetime, limit: int = 100, project: str | None = None
) -> list[dict[str, Any]]:
    """Model names of calls stored without a price, most frequent first."""
    params: dict[str, Any] = {"since": since.replace(tzinfo=None), "limit": limit,
                              "priced": _PRICED}  # fmt: skip
    where = ""
    if project:
        where = "AND Project = {project:String}"
        params["project"] = project
    sql = (
        "SELECT Model, Provider, count() AS calls, sum(InputTokens) AS input_tokens,"
        " sum(OutputTokens) AS output_tokens,"
        " toUnixTimestamp64Milli(max(Timestamp)) AS last_seen_ms FROM ("
        "SELECT TraceId, SpanId, Timestamp, Model, Provider, InputTokens, OutputTokens, CostStatus"
        " FROM otel_traces WHERE Timestamp >= {since:DateTime64(9)}"
        f" AND SpanType IN {{priced:Array(String)}} {where}"
        " ORDER BY IngestedAt DESC LIMIT 1 BY TraceId, SpanId)"
        " WHERE CostStatus = 'unknown_model'"
        " GROUP BY Model, Provider ORDER BY calls DESC, Model LIMIT {limit:UInt32}"
    )
    return [
        {
            "model": row["Model"],
            "provider": row["Provider"] or None,
            "calls": int(row["calls"]),
            "input_tokens": int(row["input_tokens"]),
            "output_tokens": int(row["output_tokens"]),
            "last_seen_ms": int(row["last_seen_ms"]),
        }
        for row in store.query_dicts(sql, params)
    ]
