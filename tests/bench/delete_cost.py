"""What deleting traces costs, and what reads cost after it, on a copy of a benchmark
store (``python -m tests.bench --only query`` builds them in the cache).

    python -m tests.bench.delete_cost --store .bench-cache/query/spanwise-1000000

Copies the store, then: reads (one trace by id, a filtered search page, a day x model
rollup) p50 over ``--calls`` calls; deletes ``--traces`` random traces in calls of
``--batch`` ids (ms per call and per trace); the same reads twice again (the deleted rows are
masked in the parts they were in until merges drop them); the deleted traces are gone;
``purge`` (the parts rewritten without them) timed, and the reads once more.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _p50_ms(fn: Callable[[object], object], args: list[object]) -> float:
    times = []
    for arg in args:
        started = time.perf_counter()
        fn(arg)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True, help="a benchmark store directory")
    parser.add_argument("--traces", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--calls", type=int, default=60)
    args = parser.parse_args()

    from spanwise_collector.deletion import delete_traces, purge
    from spanwise_collector.query import traces as q
    from spanwise_collector.search import search_traces
    from spanwise_collector.search.analytics import analytics
    from spanwise_collector.store import open_store

    copy = Path(tempfile.mkdtemp(prefix="spanwise-delete-")) / "store"
    shutil.copytree(args.store, copy, symlinks=True)  # Atomic databases link their tables
    try:
        store = open_store(str(copy))
        project = store.query("SELECT any(Project) FROM trace_summary")[0][0]
        model = store.query("SELECT any(Model) FROM otel_traces WHERE Model != ''")[0][0]
        ids = [r[0] for r in store.query(
            "SELECT TraceId FROM trace_times ORDER BY cityHash64(TraceId) LIMIT {n:UInt32}",
            {"n": args.traces + args.calls})]  # fmt: skip
        rng = random.Random(1)
        rng.shuffle(ids)
        doomed, kept = ids[: args.traces], ids[args.traces :]
        reads = {
            "by id": (lambda t: q.get_trace(store, t), kept),
            "search page": (lambda _: search_traces(
                store, filter=f"span.model = '{model}' AND trace.cost > 0", since="1000d",
                project=project, max_results=100), range(args.calls)),
            "rollup": (lambda _: analytics(store, group_by=["day", "model"], since="1000d",
                                           project=project), range(args.calls)),
        }  # fmt: skip
        before = {name: _p50_ms(fn, list(a)) for name, (fn, a) in reads.items()}
        calls = []
        spans = 0
        for start in range(0, len(doomed), args.batch):
            started = time.perf_counter()
            spans += delete_traces(store, doomed[start : start + args.batch]).spans
            calls.append((time.perf_counter() - started) * 1000)
        after = {name: _p50_ms(fn, list(a)) for name, (fn, a) in reads.items()}
        # Again: the DELETEs gave the parts new versions, whose marks were not cached yet.
        again = {name: _p50_ms(fn, list(a)) for name, (fn, a) in reads.items()}
        assert all(q.get_trace(store, t) is None for t in doomed[:: max(1, len(doomed) // 50)])
        started = time.perf_counter()
        purge(store)
        while store.query("SELECT count() FROM system.mutations WHERE NOT is_done")[0][0]:
            time.sleep(0.2)
        purged_s = time.perf_counter() - started
        purged = {name: _p50_ms(fn, list(a)) for name, (fn, a) in reads.items()}
        per_call = statistics.median(calls)
        print(f"deleted {len(doomed)} traces ({spans} spans) in {len(calls)} calls of "
              f"{args.batch}: p50 {per_call:.0f} ms per call, {per_call / args.batch:.1f} ms "
              f"per trace, total {sum(calls) / 1000:.1f} s")  # fmt: skip
        for name in reads:
            print(f"{name}: p50 {before[name]:.1f} ms before, {after[name]:.1f} ms after, "
                  f"{again[name]:.1f} ms again, {purged[name]:.1f} ms purged")  # fmt: skip
        print(f"purge (every part holding deleted rows rewritten): {purged_s:.1f} s")
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
