"""python -m tests.bench [--quick] [--only NAME[,NAME]] [--full] [--no-install]

Installs the peers (first run only), runs the benchmarks and writes tests/bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tests.bench import (
    bench_autolog,
    bench_imports,
    bench_ingest,
    bench_instructions,
    bench_query,
    bench_sdk,
    bench_storage,
)
from tests.bench.context import Context
from tests.bench.harness import MAIN_PYTHON
from tests.bench.peers import PEERS, cache_dir, ensure_installed, installed_version
from tests.bench.report import TRAILING, Section, machine_info, write_results

BENCHMARKS = {
    m.NAME: m
    for m in (
        bench_imports,
        bench_sdk,
        bench_autolog,
        bench_instructions,
        bench_ingest,
        bench_query,
        bench_storage,
    )
}
# Run only when named in --only: ~30 minutes under valgrind.
OPT_IN = {bench_instructions.NAME}
RESULTS = Path(__file__).with_name("RESULTS.md")
# Said in the report so that nobody reads a missing figure as a measured one.
NOT_YET = Section(
    title=TRAILING,
    intro="Parts of issue 9 this suite does not run yet:",
    tables=(),
    notes=(
        "Langfuse against its real server: it needs Postgres, ClickHouse and Redis, which this machine "
        "does not run, so benchmark 1 measures Langfuse on the discarding sink only.",
    ),
)


def _versions(ctx: Context) -> list[str]:
    parts = []
    for name, peer in PEERS.items():
        vers = [f"{d} {installed_version(name, d, ctx.cache) or '?'}" for d in peer.report]
        parts.append(f"  - venv `{name}`: " + ", ".join(vers))
    return ["- Versions:", *parts]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small N, 2 rounds: < 2 minutes")
    ap.add_argument("--full", action="store_true", help="the large sizes (10M spans for queries)")
    ap.add_argument(
        "--only",
        default="",
        help=f"comma list of {list(BENCHMARKS)}; {sorted(OPT_IN)} only when named",
    )
    ap.add_argument("--cache", default=None, help="peer venvs (default .bench-cache/)")
    ap.add_argument("--output", default=str(RESULTS))
    ap.add_argument("--no-install", action="store_true", help="use the venvs as they are")
    ap.add_argument(
        "--peers-from",
        default=None,
        metavar="JSON",
        help="query/storage: reuse MLflow's and Phoenix's loads and timings from an earlier "
        "run's results file (.bench-cache/query/last-results.json) instead of loading them "
        "again; the report says so",
    )
    args = ap.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or [n for n in BENCHMARKS if n not in OPT_IN]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; known: {list(BENCHMARKS)}")

    cache = cache_dir(args.cache)
    started = time.monotonic()
    if args.no_install:
        from tests.bench.peers import peer_python

        pythons = {n: peer_python(n, cache) for n in PEERS}
    else:
        pythons = ensure_installed(cache=cache)
    ctx = Context(
        quick=args.quick,
        full=args.full,
        cache=cache,
        pythons={**pythons, "spanwise": MAIN_PYTHON},
        peers_from=Path(args.peers_from).resolve() if args.peers_from else None,
    )

    load_at_start = os.getloadavg()[0]
    sections: list[Section] = []
    for name in names:
        ctx.log(f"== {name}")
        sections.append(BENCHMARKS[name].run(ctx))
    sections.append(NOT_YET)
    machine = machine_info()  # [date and commit, machine, python]
    header = [
        *machine[1:],
        *_versions(ctx),
        "- Every measurement runs in a fresh process; variants are interleaved A B C … A B C …; "
        "figures are min / median / max over those processes.",
        "- Each section ends with the run that measured it (date, commit, command, machine "
        "load): `--only` runs replace their own sections and keep the others.",
    ]
    flags = "".join(f" {f}" for f, on in (("--quick", args.quick), ("--full", args.full)) if on)
    if args.peers_from:
        flags += f" --peers-from {args.peers_from}"
    stamp = (
        f"{machine[0][2:]}; `python -m tests.bench{flags} --only {','.join(names)}` "
        f"({time.monotonic() - started:.0f} s); 1-minute load average at the start "
        f"{load_at_start:.1f}"
    )
    write_results(Path(args.output), header, sections, stamp=stamp)
    ctx.log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
