"""Instructions per call under valgrind's callgrind: benchmarks 1 and 2 without the noise.

Time on a shared 2-core machine moves by ±20% between runs, and a 20 µs difference
on a 3 ms streamed call drowns in it. The number of machine instructions a process
executes does not depend on what else runs: the same workload gives the same count
to ~0.05%. So each workload runs twice under ``valgrind --tool=callgrind`` (every
thread of the process counted, the exporters' included), with ``n1`` and ``n2`` calls
after the same warm-up; (Ir(n2) − Ir(n1)) / (n2 − n1) is the cost of one call,
start-up and imports cancelled. Instructions are not time (cache misses, branch
mispredictions and system calls are not in them), so this complements the timed
sections and does not replace them; its use is the ratio between systems and an A/B
of our own hot paths that timing cannot resolve here.

``python -m tests.bench --only instructions`` (opt-in: ~30 min, valgrind needed) or,
for an A/B of checkouts on one workload:
``python -m tests.bench.bench_instructions --tree A=/tmp/wa --tree B=/tmp/wb autolog-stream``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.bench import bench_autolog, bench_sdk
from tests.bench.context import Context
from tests.bench.harness import Variant, run_once, sink_env
from tests.bench.report import Section, Table, fmt

__all__ = ["NAME", "WORKLOADS", "instructions_per_call", "run"]

NAME = "instructions"
TITLE = "2b. Instructions per call (callgrind): benchmarks 1 and 2 without the noise"
WARMUP = 20
# Valgrind runs a process ~50× slower, so exporters that send every 0.5–5 s would send
# batches ~50× smaller than in a real app, and their per-batch cost (and the timing of
# it) would count ~50× over. Every system sends by batch size instead (512 spans, the
# OTel default) and at the workload's final flush, as at production rates.
EXPORT_BY_SIZE = {
    "OTEL_BSP_SCHEDULE_DELAY": str(3_600_000),
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512",
    "LANGFUSE_FLUSH_INTERVAL": "3600",
    "LANGFUSE_FLUSH_AT": "512",
}


@dataclass(frozen=True)
class Workload:
    label: str
    module: str
    systems: dict[str, tuple[str, str]]  # system -> (venv, label)
    env: dict[str, str]
    n: tuple[int, int]  # calls in the two runs
    n_quick: tuple[int, int]
    fake_openai: bool = False


WORKLOADS: dict[str, Workload] = {
    "sdk-flat": Workload(
        "decorator, flat (1 span per call)",
        "tests.bench.workloads.decorator",
        bench_sdk.SYSTEMS,
        {"BENCH_SHAPE": "flat"},
        (300, 1300),
        (100, 400),
    ),
    "sdk-nested": Workload(
        "decorator, nested (a parent and 10 children: 11 spans per call)",
        "tests.bench.workloads.decorator",
        bench_sdk.SYSTEMS,
        {"BENCH_SHAPE": "nested"},
        (30, 130),
        (10, 40),
    ),
    "autolog": Workload(
        "OpenAI `chat.completions.create`, non-streaming",
        "tests.bench.workloads.autolog",
        bench_autolog.SYSTEMS,
        {"BENCH_STREAM": "0", "BENCH_MODE": "separate"},
        (20, 80),
        (10, 30),
        fake_openai=True,
    ),
    "autolog-stream": Workload(
        f"OpenAI `chat.completions.create`, streaming ({bench_autolog.STREAM_CHUNKS} chunks + usage)",
        "tests.bench.workloads.autolog",
        bench_autolog.SYSTEMS,
        {"BENCH_STREAM": "1", "BENCH_MODE": "separate"},
        (20, 80),
        (10, 30),
        fake_openai=True,
    ),
}


def _callgrind_total(out_file: Path) -> int:
    """The profile's Ir (its ``summary:`` header: every thread, one dump at exit)."""
    with out_file.open(errors="replace") as lines:
        for line in lines:
            if line.startswith("summary:"):
                return int(line.split()[1])
    raise ValueError(f"{out_file}: no summary line")


def instructions_per_call(variant: Variant, n: tuple[int, int], work: Path) -> float | str:
    """ΔIr / Δcalls of ``variant`` run with ``n[0]`` and ``n[1]`` calls; an error text
    if a run failed."""
    totals = []
    for calls in n:
        out = work / f"callgrind.{variant.name}.{calls}"
        run = Variant(
            name=variant.name,
            python=variant.python,
            module=variant.module,
            env={**variant.env, "BENCH_N": str(calls), "BENCH_WARMUP": str(WARMUP)},
            spanwise_sources=variant.spanwise_sources,
            wrapper=("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"),
        )
        res = run_once(run, timeout=1800)
        if "error" in res or "skip" in res or not out.exists():
            return str(res.get("skip") or res.get("error") or "no profile written")
        totals.append(_callgrind_total(out))
    return (totals[1] - totals[0]) / (n[1] - n[0])


@contextlib.contextmanager
def _services(ctx: Context, workload: Workload) -> Iterator[dict[str, str]]:
    with ctx.sink() as (grpc, http), contextlib.ExitStack() as stack:
        env = {**workload.env, **sink_env(grpc, http), **EXPORT_BY_SIZE}
        if workload.fake_openai:
            env["BENCH_OPENAI_BASE_URL"] = stack.enter_context(
                ctx.fake_openai(bench_autolog.STREAM_CHUNKS)
            )
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{ctx.cache / 'mlflow-bench-unused.db'}"
        yield env


def _measure(
    ctx: Context, key: str, trees: dict[str, Path] | None = None
) -> dict[str, float | str]:
    """Ir per call of every system of workload ``key`` (or, with ``trees``, of Spanwise
    from each checkout, plus the uninstrumented baseline)."""
    workload = WORKLOADS[key]
    n = workload.n_quick if ctx.quick else workload.n
    out: dict[str, float | str] = {}
    with _services(ctx, workload) as env, tempfile.TemporaryDirectory() as tmp:
        if trees:
            named = [("none", "spanwise", {})] + [
                (name, "spanwise", {"PYTHONPATH": _pythonpath(tree)})
                for name, tree in trees.items()
            ]
        else:
            named = [(system, venv, {}) for system, (venv, _) in workload.systems.items()]
        for name, venv, extra in named:
            system = "none" if name == "none" else ("spanwise" if trees else name)
            variant = ctx.variant(
                name, venv, workload.module, {**env, **extra, "BENCH_SYSTEM": system}
            )
            ctx.log(f"  {key} {name}: callgrind, {n[0]} and {n[1]} calls")
            out[name] = instructions_per_call(variant, n, Path(tmp))
            ctx.log(
                f"    {out[name] if isinstance(out[name], str) else f'{out[name]:,.0f} Ir/call'}"
            )
    return out


def _pythonpath(tree: Path) -> str:
    from tests.bench.harness import REPO_ROOT

    return os.pathsep.join(
        [*(str(tree / d) for d in ("sdk", "collector", "pricing")), str(REPO_ROOT)]
    )


def _table(key: str, measured: dict[str, float | str], labels: dict[str, str]) -> Table:
    base = measured.get("none")
    ours = measured.get("spanwise")
    added_ours = ours - base if isinstance(ours, float) and isinstance(base, float) else None
    rows = []
    for name, value in measured.items():
        label = labels.get(name, name)
        if isinstance(value, str):
            rows.append((label, "not run: " + value.splitlines()[-1][:100], "", ""))
            continue
        added = value - base if isinstance(base, float) else None
        ratio = (
            f"{added / added_ours:.1f}×"
            if added is not None and added_ours and name not in ("none", "spanwise")
            else "—"
        )
        rows.append(
            (label, fmt(value / 1000), fmt(added / 1000) if added is not None else "", ratio)
        )
    return Table(
        (
            "variant",
            "thousand instructions per call",
            "added over none",
            "added ÷ Spanwise's added",
        ),
        tuple(rows),
    )


def run(ctx: Context) -> Section:
    if shutil.which("valgrind") is None:
        return Section(TITLE, "Not run: valgrind is not installed on this machine.", ())
    tables = []
    for key, workload in WORKLOADS.items():
        labels = {name: label for name, (_, label) in workload.systems.items()}
        tables.append((workload.label, _table(key, _measure(ctx, key), labels)))
    n = "n_quick" if ctx.quick else "n"
    return Section(
        TITLE,
        "Machine instructions (valgrind callgrind `Ir`, every thread of the process) per "
        "call: each system's workload of benchmarks 1 and 2 run twice, with "
        + ", ".join(f"{k} {getattr(w, n)[0]}/{getattr(w, n)[1]}" for k, w in WORKLOADS.items())
        + f" calls after {WARMUP} warm-up calls; the difference divided by the difference in "
        "calls. Whatever else the machine does, an uninstrumented call repeats to ~0.01% and a "
        "system's added instructions to ~±5% (its exporter's and the GC's passes fall a little "
        "differently from run to run); timed, the same figures move by ±20–50% here.",
        tuple(tables),
        notes=(
            "Instructions are not time: cache misses, branch mispredictions and system calls "
            "are not in them. Read the ratios next to the timed sections' ratios; where "
            "the two disagree, the difference is in how the instructions run, not how many.",
            "Each system exports to the same discarding sink as in benchmarks 1 and 2.",
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_instructions",
        description="A/B of Spanwise checkouts in instructions per call (callgrind).",
    )
    ap.add_argument("workload", choices=list(WORKLOADS))
    ap.add_argument("--tree", action="append", required=True, metavar="NAME=PATH",
                    help="a checkout to measure (repeat for an A/B)")  # fmt: skip
    ap.add_argument("--quick", action="store_true", help="fewer calls per run")
    ap.add_argument("--cache", default=None, help="the suite's cache directory")
    args = ap.parse_args(argv)
    from tests.bench.harness import MAIN_PYTHON
    from tests.bench.peers import cache_dir

    trees = {name: Path(path).resolve() for name, path in (t.split("=", 1) for t in args.tree)}
    ctx = Context(quick=args.quick, full=False, cache=cache_dir(args.cache),
                  pythons={"spanwise": MAIN_PYTHON})  # fmt: skip
    measured = _measure(ctx, args.workload, trees)
    print(_table(args.workload, measured, {}).markdown())
    base = measured.get("none")
    for name, value in measured.items():
        if name != "none" and isinstance(value, float) and isinstance(base, float):
            print(f"{name}: {value - base:,.0f} instructions added per call")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
