"""Ingest-time deduplication: a span (TraceId, SpanId) is stored once.

The spans table is a ReplacingMergeTree on (TraceId, SpanId) and trace reads use
``LIMIT 1 BY``, but ``trace_summary`` is fed by a materialized view that sees
every inserted row: a re-delivered span (client retry after a lost reply, spool
replay after a crash) would count twice in span counts, tokens and cost. So
before an insert we drop rows repeated inside the batch and rows already stored.

The check is a primary-key lookup (the table is ORDER BY (TraceId, SpanId))
restricted to the batch's time range, so only the partitions (days) the batch
touches are read. Check-then-insert is atomic per collector because one writer
thread does both. Two collectors receiving the same span at the same moment can
still both insert it: then the spans table collapses it but the summary counts
it twice (documented in docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..store import ClickHouseStore

SPANS_TABLE = "otel_traces"


def drop_duplicates(
    store: ClickHouseStore,
    table: Any,
    maybe_stored: Callable[[set[str], int], set[str]] | None = None,
) -> Any:
    """``table`` (Arrow) without rows repeated inside it or already in the store.

    ``maybe_stored(trace_ids, since_ns)``: the traces that may have spans stored from
    ``since_ns`` on (`StoredTraces.maybe_stored`); the store is asked about those only."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return table
    trace_ids = table.column("TraceId").to_pylist()
    span_ids = table.column("SpanId").to_pylist()
    seen: set[tuple[str, str]] = set()
    keep = []
    for key in zip(trace_ids, span_ids):
        keep.append(key not in seen)
        seen.add(key)
    bounds = pc.min_max(table.column("Timestamp").cast(pa.int64()))
    lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
    ids = set(trace_ids)
    if maybe_stored is not None:
        ids = maybe_stored(ids, lo)
    rows = () if not ids else store.query(
        f"SELECT TraceId, SpanId FROM {SPANS_TABLE} "
        "WHERE TraceId IN {ids:Array(String)} "
        "AND Timestamp BETWEEN fromUnixTimestamp64Nano({lo:Int64}) "
        "AND fromUnixTimestamp64Nano({hi:Int64})",
        {"ids": sorted(ids), "lo": lo, "hi": hi},
    )  # fmt: skip
    stored = {(t, s) for t, s in rows}
    if stored:
        keep = [k and key not in stored for k, key in zip(keep, zip(trace_ids, span_ids))]
    if all(keep):
        return table
    return table.filter(pa.array(keep, type=pa.bool_()))
