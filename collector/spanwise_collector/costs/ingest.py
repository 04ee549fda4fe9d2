"""`PricingProcessor`: the ingest stage that prices every LLM/embedding span of a batch.

It fills ``Cost``, ``CostBreakdown``, ``CostStatus`` and ``PricingVersion`` from the columns
the normaliser derived (model, provider, token counts); the span's start time picks the
price version and its project the project-scoped overrides. Statuses: the price book's
(``ok``, ``unknown_model``, ``no_usage``, ``invalid_usage``) plus the count-once rule's
(``counted_in_child``, ``counted_in_parent``, see `carriers`). Spans of other types keep
an empty status: they are not model calls.

Hot path: one pass over plain column lists, the book's cached model matching, and one
primary-key read of the store per batch (only for traces that contain a usage span and,
on a single-writer store, that the store may hold: `StoredTraces`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC
from decimal import Decimal
from typing import Any

from spanwise_pricing import PriceBook, Usage

from ..pipeline.batch import SpanBatch
from ..pipeline.normalize import PRICED_TYPES
from ..pipeline.stored_traces import StoredTraces
from .carriers import Known, decide

__all__ = ["CENT_BILLIONTH", "PricingProcessor"]

# The Cost column is Decimal(18, 9): costs are rounded (half-even) to 1e-9 USD.
CENT_BILLIONTH = Decimal("1e-9")

_PRICED_SQL = ", ".join(f"'{t}'" for t in sorted(PRICED_TYPES))
_KNOWN_SQL = f"""
SELECT TraceId, SpanId, ParentSpanId,
       SpanType IN ({_PRICED_SQL}) AND (InputTokens > 0 OR OutputTokens > 0) AS has_usage,
       Cost IS NOT NULL AS has_cost, CostStatus
FROM otel_traces WHERE TraceId IN {{ids:Array(String)}}
  AND Timestamp BETWEEN fromUnixTimestamp64Nano({{lo:Int64}}) AND fromUnixTimestamp64Nano({{hi:Int64}})
ORDER BY IngestedAt DESC LIMIT 1 BY TraceId, SpanId
"""
# The spans one LLM call is recorded as (a framework span and the client span nested in it)
# start within the call, so the lookup only reads the store within this margin of the
# batch's usage spans: the parts of the last hours, not every part of every day.
_CALL_MARGIN_NS = 3600 * 10**9
_TOKEN_COLUMNS = (
    "InputTokens", "OutputTokens", "CachedTokens", "CacheWriteTokens", "ReasoningTokens",
)  # fmt: skip


class PricingProcessor:
    """Prices a `SpanBatch` in place. ``store`` (optional) answers the cross-batch check."""

    # The columns `process` fills (the pipeline copies only these back into Arrow).
    writes = ("Cost", "CostBreakdown", "CostStatus", "PricingVersion")

    def __init__(
        self,
        book: PriceBook,
        store: Any = None,
        recent_traces: int = 20_000,
        stored_traces: StoredTraces | None = None,
    ) -> None:
        self.book = book
        self.store = store
        # Single-writer stores: the traces the store may hold, so the lookup only asks
        # about those (pipeline/stored_traces.py).
        self.stored_traces = stored_traces
        # Structure of the recently seen traces (every span, usage or not), so batches of
        # one trace see each other before they are in the store: requests are acknowledged
        # from the spool and the writer inserts them later (and two exporters may send one
        # trace at the same time). A plain wrapper span sent alone links a call to its
        # costed ancestor, so traces without usage are remembered too.
        # Values are packed strings (see _pack): a dict of strings is not tracked by the
        # cyclic GC, tuples are — 20k traces of tuples made every full collection walk
        # ~300k objects (~3 µs per ingested span, measured).
        self._recent: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._recent_max = recent_traces
        self._lock = threading.Lock()

    def process(self, batch: SpanBatch) -> None:
        col = batch.columns
        types = col["SpanType"]
        priced = [i for i, t in enumerate(types) if t in PRICED_TYPES]
        if not priced:
            with self._lock:
                self._remember(col)
            return
        inp, out = col["InputTokens"], col["OutputTokens"]
        trace_ids = col["TraceId"]
        usage_idx = [i for i in priced if inp[i] or out[i]]
        traces = {trace_ids[i] for i in usage_idx}
        stored = {}
        if traces and self.store is not None:
            starts = [col["Timestamp"][i] for i in usage_idx]
            stored = self._stored(traces, min(starts), max(starts))
        with self._lock:
            deferred = self._count_once(col, traces, usage_idx, stored)
            self._price(col, priced, deferred, batch.touched)
            self._remember(col)

    # -- the count-once rule -------------------------------------------------------------

    def _stored(self, traces: set[str], first: Any, last: Any) -> dict[str, dict[str, Known]]:
        lo, hi = _ns(first) - _CALL_MARGIN_NS, _ns(last) + _CALL_MARGIN_NS
        if self.stored_traces is not None:
            traces = self.stored_traces.maybe_stored(traces, lo)
            if not traces:
                return {}
        rows = self.store.query(_KNOWN_SQL, {"ids": sorted(traces), "lo": lo, "hi": hi})
        known: dict[str, dict[str, Known]] = {}
        for tid, sid, parent, has_usage, has_cost, status in rows:
            known.setdefault(tid, {})[sid] = (parent, bool(has_usage), bool(has_cost), status)
        return known

    def _count_once(
        self,
        col: dict[str, list[Any]],
        traces: set[str],
        usage_idx: list[int],
        stored: dict[str, dict[str, Known]],
    ) -> dict[tuple[str, str], str]:
        trace_ids, span_ids, parent_ids = col["TraceId"], col["SpanId"], col["ParentSpanId"]
        parents: dict[str, dict[str, str]] = {t: {} for t in traces}
        for i, tid in enumerate(trace_ids):
            if tid in parents:
                parents[tid][span_ids[i]] = parent_ids[i]
        usage: dict[str, list[str]] = {}
        for i in usage_idx:
            usage.setdefault(trace_ids[i], []).append(span_ids[i])
        deferred: dict[tuple[str, str], str] = {}
        for tid in traces:
            known = dict(stored.get(tid, ()))
            recent = self._recent.get(tid)
            if recent:  # newer than the store's copy
                known.update((sid, _unpack(v)) for sid, v in recent.items())
            batch_parents = parents[tid]
            for sid in batch_parents:
                known.pop(sid, None)
            if not known and len(usage[tid]) == 1:
                continue  # a lone call: nothing to share its cost with
            for sid, status in decide(batch_parents, usage[tid], known).items():
                deferred[(tid, sid)] = status
        return deferred

    def _remember(self, col: dict[str, list[Any]]) -> None:
        recent = self._recent
        trace_ids, span_ids, parent_ids = col["TraceId"], col["SpanId"], col["ParentSpanId"]
        types, inp, out, cost, status = (
            col["SpanType"], col["InputTokens"], col["OutputTokens"], col["Cost"],
            col["CostStatus"],
        )  # fmt: skip
        for i, tid in enumerate(trace_ids):
            spans = recent.get(tid)
            if spans is None:
                spans = recent[tid] = {}
            else:
                recent.move_to_end(tid)
            has_usage = types[i] in PRICED_TYPES and bool(inp[i] or out[i])
            spans[span_ids[i]] = _pack(parent_ids[i], has_usage, cost[i] is not None, status[i])
        while len(recent) > self._recent_max:
            recent.popitem(last=False)

    # -- prices --------------------------------------------------------------------------

    def _price(
        self,
        col: dict[str, list[Any]],
        priced: list[int],
        deferred: dict[tuple[str, str], str],
        touched: set[str],
    ) -> None:
        price = self.book.price
        trace_ids, span_ids = col["TraceId"], col["SpanId"]
        ts, model, provider, project = (
            col["Timestamp"], col["Model"], col["Provider"], col["Project"],
        )  # fmt: skip
        inp, out, cached, write, reasoning = (
            col["InputTokens"], col["OutputTokens"], col["CachedTokens"],
            col["CacheWriteTokens"], col["ReasoningTokens"],
        )  # fmt: skip
        cost, breakdown, status, version = (
            col["Cost"], col["CostBreakdown"], col["CostStatus"], col["PricingVersion"],
        )  # fmt: skip
        for i in priced:
            if deferred:
                why = deferred.get((trace_ids[i], span_ids[i]))
                if why is not None:
                    status[i] = why
                    continue
            res = price(
                provider=provider[i] or None,
                model=model[i],
                at=ts[i],
                usage=Usage(inp[i], cached[i], write[i], out[i], reasoning[i]),
                project=project[i],
            )
            status[i] = res.status
            version[i] = res.price_version or ""
            if res.status == "invalid_usage":
                # Counts no call can have (a counter bug): kept in the span's attributes,
                # out of its token columns, so no token total adds them up.
                for counts in (inp, out, cached, write, reasoning):
                    counts[i] = 0
                touched.update(_TOKEN_COLUMNS)
            if res.total is not None:
                cost[i] = res.total.quantize(CENT_BILLIONTH)
                breakdown[i] = [(k, v.quantize(CENT_BILLIONTH)) for k, v in res.breakdown.items()]


def _pack(parent: str, has_usage: bool, has_cost: bool, status: str) -> str:
    """A `Known` as one string: usage flag, cost flag, parent id, NUL, cost status."""
    return f"{'1' if has_usage else '0'}{'1' if has_cost else '0'}{parent}\x00{status}"


def _unpack(packed: str) -> Known:
    parent, _, status = packed[2:].partition("\x00")
    return (parent, packed[0] == "1", packed[1] == "1", status)


def _ns(moment: Any) -> int:
    """A Timestamp column value (ns since the epoch, or a datetime) in ns."""
    if isinstance(moment, int):
        return moment
    if moment.tzinfo is None:  # the store's DateTime64 columns are UTC
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000
