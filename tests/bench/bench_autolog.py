"""Benchmark 2: added cost per OpenAI call of each system's OpenAI instrumentation."""

from __future__ import annotations

from typing import Any

from tests.bench.context import Context
from tests.bench.harness import Stats, Variant, run_interleaved, sink_probe
from tests.bench.report import Section, Table, fmt

__all__ = ["NAME", "run"]

NAME = "autolog"
BASELINE = "otel-v2"
STREAM_CHUNKS = 20
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
    ctx: Context, stream: bool, base_url: str, grpc: int, http: int, n: int
) -> list[Variant]:
    endpoint = f"http://127.0.0.1:{grpc}"
    out = []
    for system, (venv, _) in SYSTEMS.items():
        env = {
            "BENCH_SYSTEM": system,
            "BENCH_STREAM": "1" if stream else "0",
            "BENCH_N": str(n),
            "BENCH_OPENAI_BASE_URL": base_url,
            "BENCH_GRPC_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
            "LANGFUSE_PUBLIC_KEY": "pk-lf-bench",
            "LANGFUSE_SECRET_KEY": "sk-lf-bench",
            "LANGFUSE_BASE_URL": f"http://127.0.0.1:{http}",
            "LANGFUSE_HOST": f"http://127.0.0.1:{http}",
            "PHOENIX_TELEMETRY_ENABLED": "false",
            "MLFLOW_MODEL_CATALOG_URI": "",
            "MLFLOW_TRACKING_URI": f"sqlite:///{ctx.cache / 'mlflow-bench-unused.db'}",
        }
        out.append(
            Variant(
                name=system,
                python=ctx.python(venv),
                module="tests.bench.workloads.autolog",
                env=env,
                spanwise_sources=venv == "spanwise",
                probe=sink_probe(http) if system != "none" else None,
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

    none, base = stats("none"), stats(BASELINE)
    floor = none.median if none else 0.0
    base_added = base.median - floor if base else None
    rows = []
    for system, (_, label) in SYSTEMS.items():
        s, runs = stats(system), results.get(system, [])
        if s is None:
            why = next((r.get("skip") or r.get("error") for r in runs), "not run")
            rows.append((label, "—", "—", "—", "—", "—", "—", "—", str(why).splitlines()[-1][:120]))
            continue
        added = s.median - floor
        ratio = added / base_added if base_added and base_added > 0 and system != "none" else None
        received = [r["received_spans"] for r in runs if "received_spans" in r]
        spans = f"{min(received):,}/{runs[-1].get('expected_spans', 0):,}" if received else "n/a"
        rows.append(
            (label, fmt(s.min), fmt(s.median), fmt(s.max), "—" if system == "none" else fmt(added),
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
    n = 200 if ctx.quick else 1000
    tables = []
    with ctx.sink() as (grpc, http), ctx.fake_openai(STREAM_CHUNKS) as base_url:
        for stream in (False, True):
            kind = (
                f"streaming ({STREAM_CHUNKS} chunks + usage chunk)" if stream else "non-streaming"
            )
            ctx.log(f"autolog/{kind}: {len(SYSTEMS)} variants × {ctx.rounds} rounds, N={n}")
            res = run_interleaved(
                variants(ctx, stream, base_url, grpc, http, n), ctx.rounds, progress=ctx.log
            )
            tables.append(
                (
                    f"{kind}: µs per call, N={n:,} calls per process, {ctx.rounds} processes per variant",
                    table(res),
                )
            )
    return Section(
        title="2. OpenAI autolog overhead",
        intro=(
            "`client.chat.completions.create(model='gpt-4o-mini', messages=[system, user], temperature=0.2)` with "
            "the real `openai` client against the local fake OpenAI server (tests/fakes/openai_server.py, its own "
            "process). Spans go to the discarding OTLP sink (Langfuse: OTLP/HTTP)."
        ),
        tables=tuple(tables),
        notes=(
            f"`added` = median − median(no instrumentation); ratio column: added ÷ {BASELINE}'s added.",
            "The uninstrumented call is mostly the `openai` client's own cost; at a few hundred µs of noise "
            "the small added figures are only indicative: compare medians across rounds.",
            "`added CPU` = median process CPU time per call (all threads: the loop plus the flush that "
            "exports its spans) − the same for the uninstrumented variant. Unlike wall time it counts each "
            "system's background export whatever its batching delay, and barely moves with the load of a "
            "shared machine; prefer it when the wall figures disagree.",
        ),
    )
