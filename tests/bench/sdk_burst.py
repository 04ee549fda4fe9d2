"""Benchmark 1's burst, A/B: does the SDK deliver every span of a tight loop?

    python -m tests.bench.sdk_burst --rounds 6 A=/path/to/sdk B=/path/to/other/sdk

Each ``NAME=SDKDIR`` is a directory holding the ``spanwise`` package (e.g. a
``git archive`` of another commit's ``sdk/``). Every round runs each variant once, in
a fresh process, in the order given (A B A B …: a shared machine's drift hits both),
with benchmark 1's workload (tests/bench/workloads/decorator.py: ``@spanwise.trace``
on a trivial function, warm-up + N calls) exporting to the discarding sink, or with
``--target collector`` to a real Spanwise collector (this checkout's, embedded chDB in
a temp dir; each run under its own project, counted through the analytics API once
the run has flushed). Prints one line per run and a summary: spans received against
the spans the run made, what the SDK counted as dropped, per-call wall and CPU µs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
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
    wait_http,
)

__all__ = ["main"]

SHAPES = {"flat": 20000, "nested": 2000}  # benchmark 1's full sizes
Probe = Callable[[], dict[str, Any]]
Target = tuple[int, Callable[[str], Probe]]  # (gRPC port, project -> its span count probe)


@contextlib.contextmanager
def _sink() -> Iterator[Target]:
    with Service("sink", [str(MAIN_PYTHON), "-m", "tests.bench.sinks"]) as svc:
        grpc, http = int(svc.fields()["grpc"]), int(svc.fields()["http"])
        yield grpc, lambda project: sink_probe(http)


@contextlib.contextmanager
def _collector() -> Iterator[Target]:
    with tempfile.TemporaryDirectory(prefix="sdk-burst-") as tmp:
        cmd = [str(MAIN_PYTHON), "-m", "spanwise_collector", "collector", "--store",
               f"{tmp}/store", "--grpc-port", "0", "--http-port", "0"]  # fmt: skip
        with Service("collector", cmd, spanwise_sources=True) as svc:
            f = svc.fields()
            http = f"http://127.0.0.1:{f['http']}"
            wait_http(f"{http}/healthz", 120, svc.proc)

            def probe(project: str) -> Probe:
                def count() -> dict[str, Any]:
                    body = {"project": project, "metrics": ["count"], "level": "span"}
                    req = urllib.request.Request(
                        f"{http}/api/v1/analytics",
                        data=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json"},
                    )
                    with urllib.request.urlopen(req, timeout=60) as r:
                        rows = json.loads(r.read())["rows"]
                    return {"spans": int(rows[0]["count"]) if rows else 0}

                return count

            yield int(f["grpc"]), probe


def _variant(name: str, sdk: Path, shape: str, n: int, project: str, target: Target) -> Variant:
    grpc, probe = target
    env = {
        "BENCH_SYSTEM": "spanwise",
        "BENCH_SHAPE": shape,
        "BENCH_N": str(n),
        "BENCH_PROJECT": project,
        **sink_env(grpc, 0),
        # the variant's SDK first, then this checkout (for tests.bench.*)
        "PYTHONPATH": f"{sdk}:{REPO_ROOT}",
    }
    return Variant(name, MAIN_PYTHON, "tests.bench.workloads.decorator", env, False, probe(project))


def _summary(rows: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.sdk_burst", description=__doc__)
    ap.add_argument("variants", nargs="+", help="NAME=SDKDIR")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--shapes", default="flat,nested")
    ap.add_argument("--n", type=int, default=0, help="calls per run (default: benchmark 1's)")
    ap.add_argument("--target", choices=("sink", "collector"), default="sink")
    args = ap.parse_args(argv)
    named = [(n, Path(d).resolve()) for n, d in (v.split("=", 1) for v in args.variants)]
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with _sink() if args.target == "sink" else _collector() as target:
        for shape in args.shapes.split(","):
            n = args.n or SHAPES[shape]
            for r in range(args.rounds):
                for name, sdk in named:
                    project = f"burst-{shape}-{r}-{name}"
                    res = run_once(_variant(name, sdk, shape, n, project, target), timeout=300)
                    rows.setdefault((shape, name), []).append(res)
                    shown = res.get("error") or (
                        f"received {res['received_spans']:,}/{res['expected_spans']:,}"
                        f"  {res['us_per_call']:.1f} µs/call  cpu {res['cpu_us_per_call']:.1f}"
                        f"  dropped {res.get('dropped', '?')}"
                    )
                    print(f"{shape} round {r + 1} {name}: {shown}", flush=True)
                    time.sleep(0.2)
    _summary(rows)
    print(json.dumps({f"{s}/{n}": v for (s, n), v in rows.items()}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
