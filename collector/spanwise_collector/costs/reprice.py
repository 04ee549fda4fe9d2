"""`reprice`: recompute stored costs after a price correction, without mutations.

How (docs/pricing.md, "Repricing"):

1. Read the newest version of every model-call span since ``since`` (light columns only)
   and price it again with the current price book. Spans whose cost is counted in a
   child/parent keep that status: the call structure did not change.
2. Re-insert only the spans whose cost columns changed, as a new version: the full row,
   new cost columns, ``CostRevision`` + 1 and a newer ``IngestedAt``. The spans table is a
   ReplacingMergeTree(IngestedAt) and every reader takes the newest version per span.
3. The trace-summary view ignores rows with ``CostRevision > 0``; instead one delta row per
   trace (new cost - old cost, signed Decimal) is inserted into ``trace_summary``, whose
   readers sum partial rows. So trace totals are right after reprice, and again after a
   second reprice.
4. Likewise the hourly span rollup (``store/rollup_ddl.py``): per changed span the old
   version is retracted (-1 span, -old cost, -tokens under its old cost status) and the
   new one added, summed per rollup key so unchanged parts cancel out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from spanwise_pricing import PriceBook, Usage

from ..pipeline.normalize import PRICED_TYPES
from ..store import ClickHouseStore
from .carriers import DEFERRED
from .ingest import CENT_BILLIONTH

__all__ = ["RepriceReport", "reprice"]

_CHUNK = 5_000
_ZERO = Decimal(0)
_EPOCH = datetime(1970, 1, 1)

_CANDIDATES = """
SELECT TraceId, SpanId, toUnixTimestamp64Nano(Timestamp) AS ts, Project, Model, Provider,
       SpanType, SpanName, StatusCode, RetentionDays, InputTokens, OutputTokens, CachedTokens, CacheWriteTokens, ReasoningTokens,
       Cost, CostBreakdown, CostStatus, PricingVersion, CostRevision,
       toUnixTimestamp64Milli(IngestedAt) AS ingested_ms
FROM otel_traces
WHERE Timestamp >= {since:DateTime64(9)} AND SpanType IN {priced:Array(String)} %s
ORDER BY IngestedAt DESC LIMIT 1 BY TraceId, SpanId
"""


@dataclass(frozen=True)
class RepriceReport:
    spans_checked: int
    spans_repriced: int
    traces: int
    cost_before: Decimal
    cost_after: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "spans_checked": self.spans_checked,
            "spans_repriced": self.spans_repriced,
            "traces": self.traces,
            "cost_before": format(self.cost_before.normalize(), "f"),
            "cost_after": format(self.cost_after.normalize(), "f"),
        }


@dataclass
class _Change:
    trace_id: str
    span_id: str
    project: str
    ts: int
    old_cost: Decimal | None
    cost: Decimal | None
    breakdown: list[tuple[str, Decimal]]
    status: str
    version: str
    revision: int
    ingested_ms: int
    old_status: str
    # rollup key columns other than project/hour/cost status, and the token sums
    dims: tuple[str, str, str, str, str, int]
    tokens: tuple[int, int, int, int]


def _new_cost(book: PriceBook, row: dict[str, Any]) -> tuple[Any, ...] | None:
    """(cost, breakdown, status, version) when they differ from the stored ones."""
    if row["CostStatus"] in DEFERRED:
        return None
    res = book.price(
        provider=row["Provider"] or None,
        model=row["Model"],
        at=int(row["ts"]),
        usage=Usage(
            int(row["InputTokens"]),
            int(row["CachedTokens"]),
            int(row["CacheWriteTokens"]),
            int(row["OutputTokens"]),
            int(row["ReasoningTokens"]),
        ),
        project=row["Project"],
    )
    cost = None if res.total is None else res.total.quantize(CENT_BILLIONTH)
    breakdown = sorted((k, v.quantize(CENT_BILLIONTH)) for k, v in res.breakdown.items())
    version = res.price_version or ""
    old_breakdown = sorted(dict(row["CostBreakdown"] or {}).items())
    same = (
        cost == row["Cost"]
        and (row["Cost"] is None) == (cost is None)
        and res.status == row["CostStatus"]
        and version == row["PricingVersion"]
        and breakdown == old_breakdown
    )
    return None if same else (cost, breakdown, res.status, version)


def _chunks(items: list[_Change], size: int) -> Iterator[list[_Change]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def reprice(
    store: ClickHouseStore, book: PriceBook, since: datetime, model: str | None = None
) -> RepriceReport:
    params: dict[str, Any] = {
        "since": since.astimezone(UTC).replace(tzinfo=None), "priced": sorted(PRICED_TYPES),
    }  # fmt: skip
    where = ""
    if model:
        where = "AND lower(Model) = lower({model:String})"
        params["model"] = model
    rows = store.query_dicts(_CANDIDATES % where, params)
    changes: list[_Change] = []
    for row in rows:
        new = _new_cost(book, row)
        if new is None:
            continue
        cost, breakdown, status, version = new
        changes.append(
            _Change(
                row["TraceId"],
                row["SpanId"],
                row["Project"],
                int(row["ts"]),
                row["Cost"],
                cost,
                breakdown,
                status,
                version,
                int(row["CostRevision"]) + 1,
                int(row["ingested_ms"]),
                row["CostStatus"],
                (
                    row["Model"],
                    row["Provider"],
                    row["SpanType"],
                    row["SpanName"],
                    row["StatusCode"],
                    int(row["RetentionDays"]),
                ),
                (
                    int(row["InputTokens"]),
                    int(row["OutputTokens"]),
                    int(row["CachedTokens"]),
                    int(row["ReasoningTokens"]),
                ),
            )
        )
    for chunk in _chunks(changes, _CHUNK):
        _write_versions(store, chunk)
        _write_summary_deltas(store, chunk)
        _write_rollup_deltas(store, chunk)
    before = sum((c.old_cost for c in changes if c.old_cost is not None), _ZERO)
    after = sum((c.cost for c in changes if c.cost is not None), _ZERO)
    return RepriceReport(
        spans_checked=len(rows),
        spans_repriced=len(changes),
        traces=len({c.trace_id for c in changes}),
        cost_before=before,
        cost_after=after,
    )


def _write_versions(store: ClickHouseStore, changes: list[_Change]) -> None:
    """Insert new versions of the changed spans: stored row + new cost columns."""
    import pyarrow as pa

    keys = [(c.trace_id, c.span_id) for c in changes]
    with store.client() as client:
        table = client.query_arrow(
            "SELECT * EXCEPT (Cost, CostBreakdown, CostStatus, PricingVersion, CostRevision,"
            " IngestedAt) FROM otel_traces WHERE TraceId IN {ids:Array(String)}"
            " AND (TraceId, SpanId) IN {keys:Array(Tuple(String, String))}"
            " ORDER BY IngestedAt DESC LIMIT 1 BY TraceId, SpanId",
            parameters={"ids": sorted({k[0] for k in keys}), "keys": keys},
        )
    by_key = {(c.trace_id, c.span_id): c for c in changes}
    order = [
        by_key[(t, s)]
        for t, s in zip(table.column("TraceId").to_pylist(), table.column("SpanId").to_pylist())
    ]
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    dec = pa.decimal128(18, 9)
    extra = {
        "Cost": pa.array([c.cost for c in order], type=dec),
        "CostBreakdown": pa.array([c.breakdown for c in order], type=pa.map_(pa.string(), dec)),
        "CostStatus": pa.array([c.status for c in order], type=pa.string()),
        "PricingVersion": pa.array([c.version for c in order], type=pa.string()),
        "CostRevision": pa.array([c.revision for c in order], type=pa.uint32()),
        # Strictly newer than the version it replaces, even within the same millisecond.
        "IngestedAt": pa.array(
            [max(now_ms, c.ingested_ms + 1) for c in order], type=pa.timestamp("ms")
        ),
    }
    for name, array in extra.items():
        table = table.append_column(name, array)
    store.insert_arrow("otel_traces", table)


def _write_summary_deltas(store: ClickHouseStore, changes: list[_Change]) -> None:
    """One row per trace into trace_summary carrying only the cost difference."""
    per_trace: dict[str, list[_Change]] = {}
    for c in changes:
        per_trace.setdefault(c.trace_id, []).append(c)
    rows = []
    for trace_id, items in per_trace.items():
        delta = sum((c.cost or _ZERO) - (c.old_cost or _ZERO) for c in items)
        newly_priced = sum(1 for c in items if c.old_cost is None and c.cost is not None)
        # Neutral values for every other column, so only the cost changes: a Start no
        # earlier than a span of the trace (min), an End at the epoch (max), zeros to sum.
        first_us = -(-min(c.ts for c in items) // 1000)
        start = _EPOCH + timedelta(microseconds=first_us)
        rows.append([items[0].project, trace_id, start, _EPOCH, delta, newly_priced])
    store.insert_rows(
        "trace_summary",
        rows,
        ["Project", "TraceId", "Start", "End", "TotalCost", "PricedSpans"],
    )


_HOUR_END_NS = 4_291_747_200 * 10**9  # 2106-01-01
_ROLLUP_COLUMNS = ["Project", "Hour", "Model", "Provider", "SpanType", "SpanName", "StatusCode",
                   "RetentionDays", "CostStatus", "SpanCount", "PricedSpans", "TotalCost",
                   "InputTokens", "OutputTokens", "CachedTokens", "ReasoningTokens"]  # fmt: skip


def _write_rollup_deltas(store: ClickHouseStore, changes: list[_Change]) -> None:
    """Signed rows into span_rollup_hourly: each changed span's old version out, new in."""
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for c in changes:
        if c.ts >= _HOUR_END_NS:
            continue  # the rollup's DateTime ends in 2106; its view skips these too
        hour = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(hours=c.ts // 3_600_000_000_000)
        for sign, status, cost in ((-1, c.old_status, c.old_cost), (1, c.status, c.cost)):
            acc = sums.setdefault((c.project, hour, *c.dims, status), [0, 0, _ZERO, 0, 0, 0, 0])
            acc[0] += sign
            acc[1] += sign * (cost is not None)
            acc[2] += sign * (cost or _ZERO)
            for n, tokens in enumerate(c.tokens):
                acc[3 + n] += sign * tokens
    rows = [[*key, *acc] for key, acc in sums.items() if any(acc)]
    if rows:
        store.insert_rows("span_rollup_hourly", rows, _ROLLUP_COLUMNS)
