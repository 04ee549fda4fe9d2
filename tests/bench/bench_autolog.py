"""Benchmark 2: added cost per OpenAI call of each system's OpenAI instrumentation."""

from __future__ import annotations

import os
from typing import Any

from tests.bench.bench_sdk import received_cell
from tests.bench.bench_sdk import table as sdk_table
from tests.bench.context import Context
from tests.bench.harness import Stats, Variant, run_interleaved, sink_env, sink_probe
from tests.bench.report import Section, Table, fmt

__all__ = ["NAME", "run"]

NAME = "autolog"
BASELINE = "otel-v2"
STREAM_CHUNKS = 20
BLOCK = 10  # calls per block in paired mode
SYSTEMS: dict[str, tuple[str, str]] = {
    "none": ("spanwise", "no instrumentation"),
    "spanwise": ("spanwise", "`spanwise.openai.autolog()`"),
    "otel-v2": ("otel", "opentelemetry-instrumentation-openai-v2 (content capture on)"),
    "openinference": (
        "openinference",
        "OpenInference `OpenAIInstrumentor` (phoenix.otel, batch=True)",
    ),
    "mlflow": ("mlflow", "`mlflow.openai.autolog()` (OTLP/gRPC exporter)"),
    "langfuse": ("langfuse", "Langfuse `from langfuse.openai import openai`"),
}


def variants(
    ctx: Context, stream: bool, base_url: str, grpc: int, http: int, size: dict[str, str]
) -> list[Variant]:
    out = []
    for system, (venv, _) in SYSTEMS.items():
        env = {
            "BENCH_SYSTEM": system,
            "BENCH_STREAM": "1" if stream else "0",
            **size,
            "BENCH_OPENAI_BASE_URL": base_url,
            **sink_env(grpc, http),
            "MLFLOW_TRACKING_URI": f"sqlite:///{ctx.cache / 'mlflow-bench-unused.db'}",
        }
        probe = sink_probe(http) if system != "none" else None
        out.append(ctx.variant(system, venv, "tests.bench.workloads.autolog", env, probe))
    return out


def _stats(results: dict[str, list[dict[str, Any]]], name: str, key: str) -> Stats | None:
    vals = [r[key] for r in results.get(name, []) if key in r]
    return Stats(tuple(vals)) if vals else None


def _not_run(results: dict[str, list[dict[str, Any]]], system: str) -> str:
    why = next((r.get("skip") or r.get("error") for r in results.get(system, [])), "not run")
    return str(why).splitlines()[-1][:120]


def _ranged(s: Stats) -> str:
    return f"{fmt(s.median)} ({fmt(s.min)}–{fmt(s.max)})" if len(s.values) > 1 else fmt(s.median)


def paired_table(results: dict[str, list[dict[str, Any]]]) -> Table:
    """Each process measured its own on−off difference: no subtraction across processes."""

    def ratio(system: str, key: str) -> str:
        s, base = _stats(results, system, key), _stats(results, BASELINE, key)
        if system == "none" or s is None or base is None or base.median <= 0:
            return "—"
        return fmt(s.median / base.median, 2)

    rows = []
    for system, (_, label) in SYSTEMS.items():
        wall, cpu = (
            _stats(results, system, "added_wall_us"),
            _stats(results, system, "added_cpu_us"),
        )
        if wall is None or cpu is None:
            rows.append((label, *("—",) * 8, _not_run(results, system)))
            continue
        base_wall, base_cpu = (
            _stats(results, system, "base_wall_us"),
            _stats(results, system, "base_cpu_us"),
        )
        background = _stats(results, system, "background_cpu_us")
        mean = _stats(results, system, "added_cpu_mean_us")
        if system == "none":
            label += " (on/off do nothing: the noise floor)"
        rows.append(
            (label, fmt(base_wall.median if base_wall else None), fmt(base_cpu.median if base_cpu else None),
             _ranged(wall), ratio(system, "added_wall_us"), _ranged(cpu),
             fmt(background.median if background else None), ratio(system, "added_cpu_us"),
             fmt(mean.median if mean else None),
             received_cell(system, results.get(system, [])))
        )  # fmt: skip
    cols = (
        "variant",
        "uninstrumented wall µs",
        "uninstrumented CPU µs",
        "added wall µs (median (min–max) over processes)",
        f"added wall × {BASELINE}",
        "added CPU µs (median (min–max))",
        "of which background CPU µs",
        f"added CPU × {BASELINE}",
        "added CPU µs, mean of pairs",
        "spans received (worst run)",
    )
    return Table(cols, tuple(rows))


def separate_table(results: dict[str, list[dict[str, Any]]]) -> Table:
    """SPANWISE_BENCH_AUTOLOG_MODE=separate: each system in its own processes, minus the
    uninstrumented processes' median (benchmark 1's table)."""
    return sdk_table(results, {s: label for s, (_, label) in SYSTEMS.items()}, baseline=BASELINE)


def _mode() -> str:
    mode = os.environ.get("SPANWISE_BENCH_AUTOLOG_MODE", "paired")
    if mode not in ("paired", "separate"):
        raise SystemExit(f"SPANWISE_BENCH_AUTOLOG_MODE={mode!r}: paired or separate")
    return mode


PAIRED_NOTES = (
    "Method (paired): every process sets its system up, then alternates blocks of "
    f"{BLOCK} calls with the instrumentation off and on (off-on, on-off, …; spanwise "
    "`autolog(disable=True)`, the OTel/OpenInference instrumentors' `uninstrument()`, "
    "`mlflow.openai.autolog(disable=True)`; Langfuse, which patches the `openai` package "
    "itself on import and has no off switch, gets its originals swapped back in). Drift of "
    "the shared machine and of the fake server hits both sides of each pair alike, and "
    "nothing is subtracted across processes.",
    "`added wall` = median over the pairs of (on − off) wall time per call. `added CPU` = "
    "median over the pairs of (on − off) CPU time of the calling thread, plus `background`: "
    "the CPU of every other thread of the process (batching exporters, gRPC) from the first "
    "block to the end of a final flush, and the calling thread's CPU in that flush, per "
    "instrumented call. Table cells: median (min–max) of the per-process figures; ratio "
    f"columns: ÷ {BASELINE}'s median. `mean of pairs`: the same CPU figure with the mean "
    "instead of the median of the pairs' differences, so it keeps rare costs the median "
    "drops (a full GC pass brought on by spans waiting for export), and more noise.",
    "`uninstrumented` = the same process's off blocks: mostly the `openai` client's own cost. "
    "The first row toggles nothing; its `added` figures show what noise alone gives.",
    "`spans received` counts at the sink: exactly the calls made while on (warm-up included) "
    "shows that off really was off.",
)
SEPARATE_NOTES = (
    f"Method (separate, SPANWISE_BENCH_AUTOLOG_MODE=separate): `added` = median − median(no "
    f"instrumentation) over separate processes; ratio column: added ÷ {BASELINE}'s added.",
    "`added CPU` = median process CPU time per call (all threads: the loop plus the flush that "
    "exports its spans) − the same for the uninstrumented variant.",
)


def run(ctx: Context) -> Section:
    mode = _mode()
    pairs = 15 if ctx.quick else 50
    n = 200 if ctx.quick else 1000
    if mode == "paired":
        size = {"BENCH_MODE": "paired", "BENCH_PAIRS": str(pairs), "BENCH_BLOCK": str(BLOCK)}
        shape = f"{pairs} pairs of {BLOCK}-call blocks per process"
    else:
        size = {"BENCH_MODE": "separate", "BENCH_N": str(n)}
        shape = f"N={n:,} calls per process"
    tables = []
    with ctx.sink() as (grpc, http), ctx.fake_openai(STREAM_CHUNKS) as base_url:
        for stream in (False, True):
            kind = (
                f"streaming ({STREAM_CHUNKS} chunks + usage chunk)" if stream else "non-streaming"
            )
            ctx.log(
                f"autolog/{kind} ({mode}): {len(SYSTEMS)} variants × {ctx.rounds} rounds, {shape}"
            )
            res = run_interleaved(
                variants(ctx, stream, base_url, grpc, http, size), ctx.rounds, progress=ctx.log
            )
            table = paired_table(res) if mode == "paired" else separate_table(res)
            caption = f"{kind}: µs per call, {shape}, {ctx.rounds} processes per variant"
            tables.append((caption, table))
    return Section(
        title="2. OpenAI autolog overhead",
        intro=(
            "`client.chat.completions.create(model='gpt-4o-mini', messages=[system, user], temperature=0.2)` with "
            "the real `openai` client against the local fake OpenAI server (tests/fakes/openai_server.py, its own "
            "process). Spans go to the discarding OTLP sink (Langfuse: OTLP/HTTP)."
        ),
        tables=tuple(tables),
        notes=PAIRED_NOTES if mode == "paired" else SEPARATE_NOTES,
    )
