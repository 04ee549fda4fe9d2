"""Benchmark 1: per-call cost of each system's decorator on a trivial function.

Every system exports over its own wire path to the discarding sink (OTLP/gRPC, or
OTLP/HTTP for Langfuse); MLflow is pointed at the sink with its OTLP exporter.
"""

from __future__ import annotations

from typing import Any

from tests.bench.context import Context
from tests.bench.harness import Stats, Variant, run_interleaved, sink_probe
from tests.bench.report import Section, Table, fmt

__all__ = ["NAME", "run"]

NAME = "sdk"
BASELINE = "otel-grpc"
# system -> (interpreter venv, label)
SYSTEMS: dict[str, tuple[str, str]] = {
    "none": ("spanwise", "undecorated"),
    "otel-memory": ("otel", "raw OTel SDK + JSON capture, in-process discarding exporter"),
    "otel-grpc": ("otel", "raw OTel SDK + JSON capture, OTLP/gRPC exporter"),
    "spanwise": ("spanwise", "`@spanwise.trace`"),
    "mlflow": ("mlflow", "`@mlflow.trace` (OTLP/gRPC exporter)"),
    "langfuse": ("langfuse", "Langfuse `@observe` (OTLP/HTTP)"),
    "phoenix": ("openinference", "OpenInference `tracer.chain` (phoenix.otel, batch=True, gRPC)"),
}


def variants(ctx: Context, shape: str, grpc: int, http: int, n: int) -> list[Variant]:
    endpoint = f"http://127.0.0.1:{grpc}"
    out = []
    for system, (venv, _) in SYSTEMS.items():
        env = {
            "BENCH_SYSTEM": system,
            "BENCH_SHAPE": shape,
            "BENCH_N": str(n),
            "BENCH_GRPC_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
            "LANGFUSE_PUBLIC_KEY": "pk-lf-bench",
            "LANGFUSE_SECRET_KEY": "sk-lf-bench",
            "LANGFUSE_BASE_URL": f"http://127.0.0.1:{http}",
            "LANGFUSE_HOST": f"http://127.0.0.1:{http}",
            "PHOENIX_TELEMETRY_ENABLED": "false",
            "MLFLOW_MODEL_CATALOG_URI": "",
        }
        if system == "mlflow":
            env["MLFLOW_TRACKING_URI"] = f"sqlite:///{ctx.cache / 'mlflow-bench-unused.db'}"
        out.append(
            Variant(
                name=system,
                python=ctx.python(venv),
                module="tests.bench.workloads.decorator",
                env=env,
                spanwise_sources=venv == "spanwise",
                probe=sink_probe(http) if system not in ("none", "otel-memory") else None,
            )
        )
    return out


def table(results: dict[str, list[dict[str, Any]]]) -> Table:
    def stats(name: str, key: str = "us_per_call") -> Stats | None:
        vals = [r[key] for r in results.get(name, []) if key in r]
        return Stats(tuple(vals)) if vals else None

    # Process CPU (all threads) over the loop and the flush that exports its spans:
    # steadier than wall time on a shared machine, and it counts background export
    # whatever each system's batching delay.
    cpu_none, cpu_base = stats("none", "cpu_us_per_call"), stats(BASELINE, "cpu_us_per_call")
    cpu_floor = cpu_none.median if cpu_none else 0.0
    cpu_base_added = cpu_base.median - cpu_floor if cpu_base else None

    def cpu_cells(system: str) -> tuple[str, str]:
        c = stats(system, "cpu_us_per_call")
        if c is None:
            return "—", "—"
        if system == "none":
            return fmt(c.median), "—"
        added = c.median - cpu_floor
        ratio = added / cpu_base_added if cpu_base_added and cpu_base_added > 0 else None
        return fmt(added), fmt(ratio, 2) if ratio is not None else "—"

    none = stats("none")
    base = stats(BASELINE)
    floor = none.median if none else 0.0
    base_added = (base.median - floor) if base else None
    rows = []
    for system, (_, label) in SYSTEMS.items():
        s = stats(system)
        runs = results.get(system, [])
        if s is None:
            err = next((r.get("error") or r.get("skip") for r in runs), "not run")
            rows.append(
                (
                    label,
                    "—",
                    "—",
                    "—",
                    "—",
                    "—",
                    "—",
                    "—",
                    f"failed: {str(err).splitlines()[-1][:120]}",
                )
            )
            continue
        added = s.median - floor
        ratio = added / base_added if base_added and system != "none" else None
        received = [r.get("received_spans") for r in runs if "received_spans" in r]
        expected = runs[-1].get("expected_spans", 0)
        spans = f"{min(received):,}/{expected:,}" if received else "n/a"
        rows.append(
            (label, fmt(s.min), fmt(s.median), fmt(s.max), fmt(added) if system != "none" else "—",
             fmt(ratio, 2) if ratio is not None else "—", *cpu_cells(system), spans)
        )  # fmt: skip
    cols = (
        "variant",
        "min µs",
        "median µs",
        "max µs",
        "added µs (median)",
        f"added × {BASELINE}",
        "added CPU µs (median; none: its CPU)",
        f"added CPU × {BASELINE}",
        "spans received (worst run)",
    )
    return Table(cols, tuple(rows))


def run(ctx: Context) -> Section:
    n_flat, n_nested = (3000, 300) if ctx.quick else (20000, 2000)
    tables = []
    with ctx.sink() as (grpc, http):
        for shape, n in (("flat", n_flat), ("nested", n_nested)):
            ctx.log(f"sdk/{shape}: {len(SYSTEMS)} variants × {ctx.rounds} rounds, N={n}")
            res = run_interleaved(variants(ctx, shape, grpc, http, n), ctx.rounds, progress=ctx.log)
            what = (
                "per call (1 span)"
                if shape == "flat"
                else "per parent call (11 spans: parent + 10 children)"
            )
            tables.append(
                (
                    f"{shape}: µs {what}, N={n:,} calls per process, {ctx.rounds} processes per variant",
                    table(res),
                )
            )
    return Section(
        title="1. SDK decorator overhead (discarding sink)",
        intro=(
            "A trivial function `child(i: int, text: str) -> dict` called in a loop; inputs and outputs "
            "captured as JSON by every system. Each system exports over its own wire protocol to a "
            "discarding OTLP sink in another process (gRPC; Langfuse: OTLP/HTTP), which counts the spans "
            "it receives. Time is the loop's wall time per call, background export included."
        ),
        tables=tuple(tables),
        notes=(
            "`added` = median − median(undecorated); the ratio column divides by the raw OTel SDK's added "
            f"cost with the same exporter ({BASELINE}).",
            "Spans received below expected means the system dropped spans (queue full) or failed to export.",
            "`added CPU` = median process CPU time per call (all threads: the loop plus the flush that "
            "exports its spans) − the same for the uninstrumented variant. Unlike wall time it counts each "
            "system's background export whatever its batching delay, and barely moves with the load of a "
            "shared machine; prefer it when the wall figures disagree.",
        ),
    )
