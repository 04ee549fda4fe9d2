"""Import time and installed footprint of each system's SDK."""

from __future__ import annotations

from tests.bench.context import Context
from tests.bench.footprint import closure_bytes, site_packages
from tests.bench.harness import REPO_ROOT, Stats, run_interleaved
from tests.bench.report import Section, Table, fmt

__all__ = ["NAME", "run"]

NAME = "imports"
# name -> (venv, modules imported, distributions whose closure is measured, label)
SYSTEMS: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "spanwise": (
        "spanwise",
        "spanwise",
        ("spanwise",),
        "`import spanwise` (SDK: spanwise without extras)",
    ),
    "otel": (
        "otel",
        "opentelemetry.sdk.trace,opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
        ("opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-grpc"),
        "OTel SDK + OTLP/gRPC exporter",
    ),
    "phoenix": (
        "openinference",
        "phoenix.otel,openinference.instrumentation.openai",
        ("arize-phoenix-otel", "openinference-instrumentation-openai"),
        "phoenix.otel + openinference-instrumentation-openai",
    ),
    "langfuse": ("langfuse", "langfuse", ("langfuse",), "`import langfuse`"),
    "mlflow": ("mlflow", "mlflow", ("mlflow-tracing",), "`import mlflow` (size: mlflow-tracing)"),
}


def _footprint(ctx: Context, system: str) -> tuple[int, int]:
    venv, _, roots, _ = SYSTEMS[system]
    total, names = closure_bytes(site_packages(ctx.python(venv)), list(roots))
    if system == "spanwise":  # installed editable: count the SDK sources themselves
        total += sum(p.stat().st_size for p in (REPO_ROOT / "sdk" / "spanwise").rglob("*.py"))
    return total, len(names)


def run(ctx: Context) -> Section:
    variants = [
        ctx.variant(s, v, "tests.bench.workloads.importtime", {"BENCH_IMPORT": mods})
        for s, (v, mods, _, _) in SYSTEMS.items()
    ]
    rounds = 3 if ctx.quick else 7
    ctx.log(f"imports: {len(variants)} variants × {rounds} rounds")
    res = run_interleaved(variants, rounds, progress=ctx.log)
    rows = []
    for system, (_, _, _, label) in SYSTEMS.items():
        vals = [r["ms"] for r in res[system] if "ms" in r]
        size, ndists = _footprint(ctx, system)
        if not vals:
            rows.append((label, "—", "—", "—", f"{size / 2**20:.1f}", str(ndists)))
            continue
        s = Stats(tuple(vals))
        rows.append(
            (label, fmt(s.min), fmt(s.median), fmt(s.max), f"{size / 2**20:.1f}", str(ndists))
        )
    cols = (
        "SDK",
        "import min ms",
        "import median ms",
        "import max ms",
        "installed MiB (closure)",
        "distributions",
    )
    return Section(
        title="Import time and installed footprint",
        intro=(
            "Wall time of the imports in a fresh interpreter (after the interpreter's own start-up), and the "
            "bytes on disk of the distributions' RECORDs for the SDK and everything it requires (no extras)."
        ),
        tables=(("", Table(cols, tuple(rows))),),
    )
