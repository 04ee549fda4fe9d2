"""Load traces [0, BENCH_TRACES) of a corpus straight into a Spanwise chDB store.

The collector's own insert path minus the network: OTLP request → ``convert`` (the
receiver's converter and normaliser) → the collector's processors (pricing) →
``SpanBatch.to_arrow()`` → ``store.insert_arrow("otel_traces")``, which also feeds the
``trace_summary`` materialized view. Skipped: the OTLP transport and the ingest-time
dedup query (the corpus has no duplicates). Requests are generated in a second process
so generation and insertion overlap on the two cores.

With BENCH_COPIES=k > 1, the loaded spans are then copied k - 1 times inside the store
under new trace and span ids (``INSERT … SELECT``: the same table, indexes and views, at
the engine's speed), so a 10M-span store takes minutes instead of an hour of Python.

Env: BENCH_STORE (dir), BENCH_SEED, BENCH_NOW_NS, BENCH_TRACES, BENCH_DAYS, BENCH_COPIES.
Prints {"spans", "traces", "seconds", per-phase seconds}. With BENCH_SIZES=1 instead:
the store's size ({"tables", "columns", "indexes"}), after ``OPTIMIZE TABLE … FINAL``
when BENCH_OPTIMIZE=1.
"""

from __future__ import annotations

import gc
import json
import multiprocessing as mp
import os
import time

_CHUNK = 400  # traces per generated request (~5,000 spans)
_INSERT_ROWS = 50_000  # chdb-findings: 10k–50k rows per insert is the sweet spot


def _generate(args: tuple[int, int, int, int, int]) -> bytes:
    from tests.bench.tracegen import Corpus

    seed, now_ns, days, lo, hi = args
    return Corpus(seed=seed, now_ns=now_ns, days=days).request(range(lo, hi)).SerializeToString()


def sizes(store: object, optimize: bool) -> dict[str, object]:
    db = store.database  # type: ignore[attr-defined]
    if optimize:
        for table in ("otel_traces", "trace_summary"):
            store.command(f"OPTIMIZE TABLE `{db}`.{table} FINAL")  # type: ignore[attr-defined]
    tables = store.query_dicts(  # type: ignore[attr-defined]
        "SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, count() AS parts,"
        " sum(data_uncompressed_bytes) AS raw FROM system.parts WHERE active AND database = {db:String}"
        " GROUP BY table ORDER BY bytes DESC", {"db": db})  # fmt: skip
    columns = store.query_dicts(  # type: ignore[attr-defined]
        "SELECT name, data_compressed_bytes AS bytes FROM system.columns"
        " WHERE database = {db:String} AND table = 'otel_traces' ORDER BY bytes DESC LIMIT 6",
        {"db": db},
    )
    indexes = store.query_dicts(  # type: ignore[attr-defined]
        "SELECT table, name, data_compressed_bytes AS bytes FROM system.data_skipping_indices"
        " WHERE database = {db:String} ORDER BY bytes DESC",
        {"db": db},
    )
    return {"tables": tables, "columns": columns, "indexes": indexes}


# Copy k of every loaded span: ids hashed with k (no collisions with the corpus's ids),
# parent links kept within the copy, a fresh IngestedAt; everything else as loaded.
_COPY_SQL = """
INSERT INTO {table}
SELECT * REPLACE (
    lower(hex(MD5(concat(TraceId, '{k}')))) AS TraceId,
    substring(lower(hex(MD5(concat(SpanId, '{k}')))), 1, 16) AS SpanId,
    if(ParentSpanId = '', '', substring(lower(hex(MD5(concat(ParentSpanId, '{k}')))), 1, 16))
        AS ParentSpanId,
    now64(3) AS IngestedAt)
FROM (SELECT * FROM {table} WHERE toUnixTimestamp64Milli(IngestedAt) <= {cutoff})
SETTINGS {settings}
"""


def _copy(store: object, copies: int, settings: dict[str, object]) -> int:
    table = f"`{store.database}`.otel_traces"  # type: ignore[attr-defined]
    cutoff = store.query(f"SELECT toUnixTimestamp64Milli(max(IngestedAt)) FROM {table}")[0][0]  # type: ignore[attr-defined]
    clause = ", ".join(
        f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in settings.items()
    )
    # (The WHERE sits in a subquery: at the top level it would see the REPLACE alias
    # IngestedAt = now64(3) and select nothing.)
    sql = _COPY_SQL.replace("{table}", table).replace("{settings}", clause)
    sql = sql.replace("{cutoff}", str(int(cutoff)))
    for k in range(1, copies):
        store.command(sql.replace("{k}", str(k)))  # type: ignore[attr-defined]
    return int(store.query(f"SELECT count() FROM {table}")[0][0])  # type: ignore[attr-defined]


def main() -> None:
    import pyarrow as pa
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    from spanwise_collector.costs import PricingProcessor
    from spanwise_collector.pipeline.convert import convert
    from spanwise_collector.pipeline.dedup import SPANS_TABLE
    from spanwise_collector.pipeline.pipeline import insert_settings
    from spanwise_collector.store import open_store
    from spanwise_pricing import PriceBook

    seed, now_ns = int(os.environ["BENCH_SEED"]), int(os.environ["BENCH_NOW_NS"])
    traces, days = int(os.environ["BENCH_TRACES"]), int(os.environ.get("BENCH_DAYS", "7"))
    store = open_store(f"chdb://{os.path.abspath(os.environ['BENCH_STORE'])}")
    if os.environ.get("BENCH_SIZES") == "1":
        out = sizes(store, os.environ.get("BENCH_OPTIMIZE") == "1")
        print(json.dumps(out, default=int))
        return
    pricing = PricingProcessor(PriceBook.load(), store)
    settings = insert_settings(store)  # as the collector inserts (text indexes deferred)
    chunks = [(seed, now_ns, days, lo, min(traces, lo + _CHUNK)) for lo in range(0, traces, _CHUNK)]
    began = time.perf_counter()
    spans = 0
    pending: list[pa.Table] = []
    gc.freeze()  # big batches under the GC are several times slower (chdb-findings)
    gc.disable()
    phases = dict.fromkeys(("wait_generator", "convert", "price", "arrow", "insert"), 0.0)

    def insert(tables: list[pa.Table]) -> int:
        t0 = time.perf_counter()
        table = pa.concat_tables(tables)
        store.insert_arrow(SPANS_TABLE, table, settings=settings)
        phases["insert"] += time.perf_counter() - t0
        return table.num_rows

    with mp.get_context("spawn").Pool(1) as pool:
        t0 = time.perf_counter()
        for raw in pool.imap(_generate, chunks):
            t1 = time.perf_counter()
            request = trace_service_pb2.ExportTraceServiceRequest.FromString(raw)
            batch = convert(request, default_project="bench")
            t2 = time.perf_counter()
            pricing.process(batch)
            t3 = time.perf_counter()
            pending.append(batch.to_arrow())
            t4 = time.perf_counter()
            phases["wait_generator"] += t1 - t0
            phases["convert"] += t2 - t1
            phases["price"] += t3 - t2
            phases["arrow"] += t4 - t3
            if sum(t.num_rows for t in pending) >= _INSERT_ROWS:
                spans += insert(pending)
                pending = []
                gc.collect()
            t0 = time.perf_counter()
        if pending:
            spans += insert(pending)
    copies = int(os.environ.get("BENCH_COPIES", "1"))
    if copies > 1:
        t0 = time.perf_counter()
        spans = _copy(store, copies, settings)
        phases["copy"] = time.perf_counter() - t0
    took = time.perf_counter() - began
    print(json.dumps({"spans": spans, "traces": traces, "seconds": took,
                      **{f"{k}_s": round(v, 2) for k, v in phases.items()}}))  # fmt: skip


if __name__ == "__main__":
    main()
