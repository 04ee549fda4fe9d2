"""Benchmark 1: per-call cost of each system's decorator on a trivial function.

First every system exports over its own wire path to the discarding sink (OTLP/gRPC,
or OTLP/HTTP for Langfuse; MLflow is pointed at the sink with its OTLP exporter);
then each exports to its real backend (sdk_servers.py), Langfuse excepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tests.bench import sdk_servers
from tests.bench.context import Context
from tests.bench.harness import Stats, Variant, run_interleaved, sink_env, sink_probe
from tests.bench.report import Section, Table, fmt

__all__ = ["NAME", "run"]

NAME = "sdk"
TITLE = "1. SDK decorator overhead"
BASELINE = "otel-grpc"
# (flat, nested) calls per process on the real servers: MLflow's server takes ~30
# traces/s here, so its final flush dominates each run (≈40 s per 1,100 traces).
SERVER_N = (1000, 100)
SERVER_N_QUICK = (100, 20)
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
    out = []
    for system, (venv, _) in SYSTEMS.items():
        env = {
            "BENCH_SYSTEM": system,
            "BENCH_SHAPE": shape,
            "BENCH_N": str(n),
            **sink_env(grpc, http),
        }
        if system == "mlflow":
            env["MLFLOW_TRACKING_URI"] = f"sqlite:///{ctx.cache / 'mlflow-bench-unused.db'}"
        probe = sink_probe(http) if system not in ("none", "otel-memory") else None
        out.append(ctx.variant(system, venv, "tests.bench.workloads.decorator", env, probe))
    return out


Runs = list[dict[str, Any]]


def received_cell(system: str, runs: Runs) -> str:
    """What the sink counted, in the run that lost the most."""
    received = [r.get("received_spans") for r in runs if "received_spans" in r]
    expected = runs[-1].get("expected_spans", 0) if runs else 0
    return f"{min(received):,}/{expected:,}" if received else "n/a"


Column = tuple[str, Callable[[str, Runs], str]]  # (heading, system and its runs -> cell)
RECEIVED: tuple[Column, ...] = (("spans received (worst run)", received_cell),)


def table(
    results: dict[str, Runs],
    labels: Mapping[str, str],
    extra: Sequence[Column] = RECEIVED,
    baseline: str = BASELINE,
) -> Table:
    """Wall and CPU figures per system (ratios against ``baseline``), then the ``extra``
    columns."""

    def stats(name: str, key: str = "us_per_call") -> Stats | None:
        vals = [r[key] for r in results.get(name, []) if key in r]
        return Stats(tuple(vals)) if vals else None

    # Process CPU (all threads) over the loop and the flush that exports its spans:
    # steadier than wall time on a shared machine, and it counts background export
    # whatever each system's batching delay.
    cpu_none, cpu_base = stats("none", "cpu_us_per_call"), stats(baseline, "cpu_us_per_call")
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
    base = stats(baseline)
    floor = none.median if none else 0.0
    base_added = (base.median - floor) if base else None
    rows = []
    for system, label in labels.items():
        s = stats(system)
        runs = results.get(system, [])
        if s is None:
            err = next((r.get("error") or r.get("skip") for r in runs), "not run")
            failed = f"failed: {str(err).splitlines()[-1][:120]}"
            rows.append((label, *["—"] * 7, failed, *["—"] * (len(extra) - 1)))
            continue
        added = s.median - floor
        ratio = added / base_added if base_added and system != "none" else None
        rows.append(
            (label, fmt(s.min), fmt(s.median), fmt(s.max), fmt(added) if system != "none" else "—",
             fmt(ratio, 2) if ratio is not None else "—", *cpu_cells(system),
             *(cell(system, runs) for _, cell in extra))
        )  # fmt: skip
    cols = (
        "variant",
        "min µs",
        "median µs",
        "max µs",
        "added µs (median)",
        f"added × {baseline}",
        "added CPU µs (median; none: its CPU)",
        f"added CPU × {baseline}",
        *(heading for heading, _ in extra),
    )
    return Table(cols, tuple(rows))


def _caption(shape: str, n: int, rounds: int) -> str:
    what = (
        "per call (1 span)"
        if shape == "flat"
        else "per parent call (11 spans: parent + 10 children)"
    )
    return f"{shape}: µs {what}, N={n:,} calls per process, {rounds} processes per variant"


def _sink_tables(ctx: Context) -> list[tuple[str, Table]]:
    n_flat, n_nested = (3000, 300) if ctx.quick else (20000, 2000)
    labels = {system: label for system, (_, label) in SYSTEMS.items()}
    tables = []
    with ctx.sink() as (grpc, http):
        for shape, n in (("flat", n_flat), ("nested", n_nested)):
            ctx.log(f"sdk/{shape}: {len(SYSTEMS)} variants × {ctx.rounds} rounds, N={n}")
            res = run_interleaved(variants(ctx, shape, grpc, http, n), ctx.rounds, progress=ctx.log)
            tables.append((_caption(shape, n, ctx.rounds), table(res, labels)))
    return tables


def _server_tables(ctx: Context) -> list[tuple[str, Table]]:
    n_flat, n_nested = SERVER_N_QUICK if ctx.quick else SERVER_N
    labels = {system: label for system, (_, label) in sdk_servers.SYSTEMS.items()}
    tables = []
    ctx.log("sdk/servers: starting the Spanwise collector, MLflow and Phoenix")
    with sdk_servers.real_backends(ctx) as backends:
        # One unmeasured process per system first: a fresh server answers its first
        # requests slowly (MLflow's client then misses its 3 s version call).
        ctx.log("sdk/servers: warm-up, one process per system (not measured)")
        warm = run_interleaved(
            sdk_servers.variants(ctx, backends, "nested", 20), 1, progress=ctx.log
        )
        # what the warm-up sent: a server that stores late must not count it as the next run's
        stored = {s: sum(r.get("expected_spans", 0) for r in runs) for s, runs in warm.items()}
        for shape, n in (("flat", n_flat), ("nested", n_nested)):
            ctx.log(f"sdk/servers/{shape}: {len(labels)} variants × {ctx.rounds} rounds, N={n}")
            before = sdk_servers.settled_counts(backends, stored, timeout=60)
            asides_before = _asides(backends)
            vs = sdk_servers.variants(ctx, backends, shape, n)
            res = run_interleaved(vs, ctx.rounds, progress=ctx.log)
            sent = {s: sum(r.get("expected_spans", 0) for r in runs) for s, runs in res.items()}
            targets = {s: int(before[s]) + sent[s] for s in backends if isinstance(before[s], int)}
            after = sdk_servers.settled_counts(backends, targets, timeout=120)
            stored = {s: int(a) for s, a in after.items() if isinstance(a, int)}
            asides = {k: (w, c - asides_before[k][1]) for k, (w, c) in _asides(backends).items()}
            ctx.log(f"sdk/servers/{shape}: stored {after} (before {before}), sent {sent}, {asides}")

            extra: tuple[Column, ...] = (
                ("flush s (median)", _flush_cell),
                ("spans stored/sent (all runs)", _stored_cell(before, after, sent, asides)),
            )
            tables.append(
                (f"real servers, {_caption(shape, n, ctx.rounds)}", table(res, labels, extra))
            )
    return tables


def _asides(backends: Mapping[str, sdk_servers.Backend]) -> dict[str, tuple[str, int]]:
    return {k: (b.aside[0], b.aside[1]()) for k, b in backends.items() if b.aside}


def _stored_cell(
    before: Mapping[str, int | str],
    after: Mapping[str, int | str],
    sent: Mapping[str, int],
    asides: Mapping[str, tuple[str, int]],
) -> Callable[[str, Runs], str]:
    def cell(system: str, runs: Runs) -> str:
        b, a = before.get(system), after.get(system)
        if b is None or a is None:
            return "n/a"
        if not isinstance(a, int) or not isinstance(b, int):
            return str(a if not isinstance(a, int) else b)[:120]
        what, n = asides.get(system, ("", 0))
        return f"{a - b:,}/{sent[system]:,}" + (f" ({n:,} {what})" if n else "")

    return cell


def _flush_cell(system: str, runs: Runs) -> str:
    vals = [r["flush_s"] for r in runs if "flush_s" in r]
    return fmt(Stats(tuple(vals)).median, 2) if vals and system != "none" else "—"


def run(ctx: Context) -> Section:
    tables = [*_sink_tables(ctx), *_server_tables(ctx)]
    return Section(
        title=TITLE,
        intro=(
            "A trivial function `child(i: int, text: str) -> dict` called in a loop; inputs and outputs "
            "captured as JSON by every system. The first two tables: each system exports over its own "
            "wire protocol to a discarding OTLP sink in another process (gRPC; Langfuse: OTLP/HTTP), which "
            'counts the spans it receives. The last two ("real servers"): each exports to its own backend, '
            "started once on this machine for both shapes: a Spanwise collector (embedded chDB; raw OTel "
            "and `@spanwise.trace` write to it under two projects), an MLflow tracking server (SQLite) and "
            "a Phoenix server (SQLite). Time is the loop's wall time per call, background export included."
        ),
        tables=tuple(tables),
        notes=(
            "`added` = median − median(undecorated); the ratio column divides by the raw OTel SDK's added "
            f"cost with the same exporter ({BASELINE}; on real servers: raw OTel → the Spanwise collector).",
            "Spans received below expected means the system dropped spans (queue full) or failed to export.",
            "`added CPU` = median process CPU time per call (all threads: the loop plus the flush that "
            "exports its spans) − the same for the uninstrumented variant. Unlike wall time it counts each "
            "system's background export whatever its batching delay, and barely moves with the load of a "
            "shared machine; prefer it when the wall figures disagree.",
            "Real servers: the server runs on the same 2 cores as the measured process, so its ingest work "
            "slows the loop's wall time (not its CPU time). `flush s` is the time the final flush waited "
            "for the backend to take the rest (not in the per-call wall figure; its CPU is in the CPU "
            "figure). `spans stored/sent` counts what the server stored over all runs of the table once its "
            "count settled (Spanwise: `POST /api/v1/analytics` per project; MLflow and Phoenix: their "
            "SQLite `spans` table) against the spans the runs created (warm-up included).",
            "MLflow: its server runs with 1 worker (as in benchmarks 4 and 5) and its client's default "
            "async trace logging (10 threads, a queue of 1,000 export tasks that drops when full). The "
            "client logs a trace's spans to the server's `spans` table and the trace itself in separate "
            "requests; when the trace request is answered first (or the client missed the server's "
            "version within its 3 s timeout, which span logging needs) it also uploads the whole trace "
            "as a `traces.json` artifact. Stored spans count each trace once; those found only as "
            "artifacts are shown in brackets.",
            "Langfuse is not in the real-server tables: its server needs Postgres, ClickHouse and Redis, "
            "which this machine does not run; it stays on the sink.",
        ),
    )
