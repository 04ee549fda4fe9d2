"""Cost of ingest-time dedup (pipeline/dedup.py) on one batch, against the insert.

    python -m tests.bench.dedup_cost --spans 10000 --repeat 5

Fills a fresh embedded store with ``--prefill`` spans, then for fresh batches
of ``--spans`` LLM-like spans times the existence check and the insert.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--prefill", type=int, default=200_000)
    args = parser.parse_args()

    from spanwise_collector.pipeline.convert import convert
    from spanwise_collector.pipeline.dedup import drop_duplicates
    from spanwise_collector.store import open_store

    from tests.bench.soak import _request

    store = open_store(tempfile.mkdtemp(prefix="spanwise-dedup-"))

    def batch(n: int):
        per = 20
        tables = [convert(_request(os.urandom(16), per)) for _ in range(n // per)]
        merged = tables[0]
        for t in tables[1:]:
            merged.extend(t)
        return merged.to_arrow()

    filled = 0
    while filled < args.prefill:
        store.insert_arrow("otel_traces", batch(10_000))
        filled += 10_000
    checks, inserts = [], []
    for _ in range(args.repeat):
        table = batch(args.spans)
        started = time.perf_counter()
        fresh = drop_duplicates(store, table)
        checks.append(time.perf_counter() - started)
        started = time.perf_counter()
        store.insert_arrow("otel_traces", fresh)
        inserts.append(time.perf_counter() - started)
        assert drop_duplicates(store, table).num_rows == 0  # all found on re-delivery
    check, insert = statistics.median(checks), statistics.median(inserts)
    print(f"{args.spans} spans, {filled} already stored: check {check * 1000:.0f} ms, "
          f"insert {insert * 1000:.0f} ms (median of {args.repeat}); check = "
          f"{100 * check / insert:.0f}% of the insert")  # fmt: skip


if __name__ == "__main__":
    main()
