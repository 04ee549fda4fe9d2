"""Benchmark 1 workload: a trivial traced function called in a loop.

BENCH_SYSTEM (see _systems.DECORATORS), BENCH_SHAPE (flat | nested: a parent calling
10 children), BENCH_N (top-level calls), BENCH_WARMUP (calls before timing). Prints {"us_per_call", "spans", ...}.
"""

from __future__ import annotations

import json
import os
import time

from tests.bench.workloads._systems import DECORATORS

CHILDREN = 10


def main() -> None:
    system = os.environ["BENCH_SYSTEM"]
    shape = os.environ.get("BENCH_SHAPE", "flat")
    n = int(os.environ.get("BENCH_N", "2000"))
    decorate, flush = DECORATORS[system]()

    @decorate
    def child(i: int, text: str) -> dict:
        return {"i": i, "text": text}

    @decorate
    def parent(i: int, text: str) -> list:
        return [child(i * CHILDREN + k, text) for k in range(CHILDREN)]

    fn = child if shape == "flat" else parent
    spans_per_call = 1 if shape == "flat" else CHILDREN + 1
    text = "what is the capital of France?"
    warmup = int(os.environ.get("BENCH_WARMUP", max(10, n // 10)))
    for i in range(warmup):
        fn(i, text)
    flush()
    cpu_start = time.process_time_ns()  # every thread of this process
    start = time.perf_counter_ns()
    for i in range(n):
        fn(i, text)
    elapsed = time.perf_counter_ns() - start
    t_flush = time.perf_counter()
    flush()
    flush_s = time.perf_counter() - t_flush
    cpu = time.process_time_ns() - cpu_start  # the loop + exporting its spans
    expected = 0 if system == "none" else (warmup + n) * spans_per_call
    extra = {}
    if system == "spanwise":  # what the SDK itself counted as dropped (queue full)
        import spanwise

        extra["dropped"] = spanwise.stats().dropped
    print(
        json.dumps(
            {
                **extra,
                "us_per_call": elapsed / n / 1000,
                "cpu_us_per_call": cpu / n / 1000,
                "calls": n,
                "expected_spans": expected,
                "flush_s": flush_s,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
