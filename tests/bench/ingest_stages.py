"""Where the collector's ingest time goes, stage by stage, in one process (run by hand).

    python -m tests.bench.ingest_stages [--requests 40] [--spans 512] [--batch 10000]

Builds the ingest benchmark's LLM traces (workloads/llm_traces.py), then times on a
fresh embedded store: protobuf parse, convert (+normalise), pricing, Arrow conversion,
dedup lookup and the insert (with the collector's insert settings), per span. Run it
under py-spy for the function-level view.
"""

from __future__ import annotations

import argparse
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--spans", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from spanwise_collector.costs import PricingProcessor
    from spanwise_collector.pipeline.batch import SpanBatch
    from spanwise_collector.pipeline.convert import convert
    from spanwise_collector.pipeline.dedup import drop_duplicates
    from spanwise_collector.pipeline.pipeline import insert_settings
    from spanwise_collector.pipeline.stored_traces import StoredTraces
    from spanwise_collector.receiver.decode import parse_request
    from spanwise_collector.store import open_store
    from spanwise_pricing import PriceBook

    from tests.bench.workloads.llm_traces import build_templates, fresh_request

    templates = build_templates(1, 8, args.spans)
    store = open_store(f"chdb://{tempfile.mkdtemp(prefix='ingest-stages-')}")
    # As the collector on an embedded store: lookups only for traces it may have stored.
    stored = StoredTraces()
    stored.load(store)
    pricing = PricingProcessor(PriceBook.load(), store, stored_traces=stored)
    settings = insert_settings(store)  # as the collector inserts (text indexes deferred)
    for r in range(args.rounds):
        bodies = [fresh_request(templates[i % len(templates)]) for i in range(args.requests)]
        t = {k: 0.0 for k in ("parse", "convert", "pricing", "merge", "arrow", "dedup", "insert")}
        merged = SpanBatch()
        for body in bodies:
            t0 = time.perf_counter()
            req = parse_request(body)
            t1 = time.perf_counter()
            batch = convert(req, "bench")
            t2 = time.perf_counter()
            pricing.process(batch)
            t3 = time.perf_counter()
            merged.extend(batch)
            t4 = time.perf_counter()
            t["parse"] += t1 - t0
            t["convert"] += t2 - t1
            t["pricing"] += t3 - t2
            t["merge"] += t4 - t3
        t0 = time.perf_counter()
        table = merged.to_arrow()
        t1 = time.perf_counter()
        fresh = drop_duplicates(store, table, stored.maybe_stored)
        stored.add(table)
        t2 = time.perf_counter()
        store.insert_arrow("otel_traces", fresh, settings=settings)
        t3 = time.perf_counter()
        t["arrow"], t["dedup"], t["insert"] = t1 - t0, t2 - t1, t3 - t2
        n = len(merged)
        total = sum(t.values())
        parts = ", ".join(f"{k} {v / n * 1e6:.1f}" for k, v in t.items())
        print(f"round {r + 1}: {n} spans, {n / total:,.0f} spans/s; µs/span: {parts}")
    store.close()


if __name__ == "__main__":
    main()
