"""Benchmark 1's burst, A/B: does the SDK deliver every span of a tight loop?

    python -m tests.bench.sdk_burst --rounds 6 A=/path/to/sdk B=/path/to/other/sdk

Each ``NAME=SDKDIR`` is a directory holding the ``spanwise`` package (e.g. a
``git archive`` of another commit's ``sdk/``). Every round runs each variant once, in
a fresh process, in the order given (A B A B …: a shared machine's drift hits both),
with benchmark 1's workload (tests/bench/workloads/decorator.py: ``@spanwise.trace``
on a trivial function, warm-up + N calls) exporting to the discarding sink. Prints one
line per run and a summary: spans the sink received against the spans the run made,
per-call wall and CPU µs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from tests.bench.harness import (
    MAIN_PYTHON,
    REPO_ROOT,
    Service,
    Variant,
    run_once,
    sink_env,
    sink_probe,
)

__all__ = ["main"]

SHAPES = {"flat": 20000, "nested": 2000}  # benchmark 1's full sizes


def _variant(name: str, sdk: Path, shape: str, n: int, grpc: int, http: int) -> Variant:
    env = {
        "BENCH_SYSTEM": "spanwise",
        "BENCH_SHAPE": shape,
        "BENCH_N": str(n),
        **sink_env(grpc, http),
    }
    # PYTHONPATH: the variant's SDK first, then this checkout (for tests.bench.*).
    env["PYTHONPATH"] = f"{sdk}:{REPO_ROOT}"
    return Variant(
        name, MAIN_PYTHON, "tests.bench.workloads.decorator", env, False, sink_probe(http)
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.sdk_burst", description=__doc__)
    ap.add_argument("variants", nargs="+", help="NAME=SDKDIR")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--shapes", default="flat,nested")
    ap.add_argument("--n", type=int, default=0, help="calls per run (default: benchmark 1's)")
    args = ap.parse_args(argv)
    named = [(n, Path(d).resolve()) for n, d in (v.split("=", 1) for v in args.variants)]
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with Service("sink", [str(MAIN_PYTHON), "-m", "tests.bench.sinks"]) as svc:
        grpc, http = int(svc.fields()["grpc"]), int(svc.fields()["http"])
        for shape in args.shapes.split(","):
            n = args.n or SHAPES[shape]
            for r in range(args.rounds):
                for name, sdk in named:
                    res = run_once(_variant(name, sdk, shape, n, grpc, http), timeout=300)
                    rows.setdefault((shape, name), []).append(res)
                    shown = res.get("error") or (
                        f"received {res['received_spans']:,}/{res['expected_spans']:,}"
                        f"  {res['us_per_call']:.1f} µs/call  cpu {res['cpu_us_per_call']:.1f}"
                        f"  dropped {res.get('dropped', '?')}"
                    )
                    print(f"{shape} round {r + 1} {name}: {shown}", flush=True)
                    time.sleep(0.2)
    print("\nshape  variant  runs with loss  worst received  median µs/call  median cpu µs")
    for (shape, name), runs in rows.items():
        ok = [r for r in runs if "error" not in r]
        if not ok:
            print(f"{shape} {name}: all runs failed")
            continue
        lossy = sum(r["received_spans"] < r["expected_spans"] for r in ok)
        worst = min(r["received_spans"] for r in ok)
        print(
            f"{shape:6} {name:8} {lossy}/{len(ok)}  {worst:,}/{ok[0]['expected_spans']:,}"
            f"  {statistics.median(r['us_per_call'] for r in ok):.1f}"
            f"  {statistics.median(r['cpu_us_per_call'] for r in ok):.1f}"
        )
    print(json.dumps({f"{s}/{n}": v for (s, n), v in rows.items()}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
