"""Benchmark 3: ingest throughput of the OTLP receivers, each on its own fresh store.

Several load-generator processes (workloads/ingest.py) send realistic LLM traces
(workloads/llm_traces.py) for the same time budget to: the Spanwise collector (embedded
chDB store, OTLP/gRPC), an MLflow tracking server (SQLite, OTLP/HTTP) and a Phoenix
server (SQLite, OTLP/gRPC). Systems are interleaved round by round, each round on a
fresh server and store.

Receivers acknowledge at different points (Spanwise once the batch is fsynced to its spool,
before the insert; Phoenix into an in-memory queue; MLflow after its SQLite write), so the
headline figure is spans *stored* (queryable) per second: Spanwise's acknowledged spans
(checked against the store after a clean stop) over the time from the budget's start until
its read barrier saw them all in the store; a peer's rows gained from the start of the budget
until its replies to the requests sent in the budget came back (bounded by a drain window:
MLflow takes ~20 s per 512-span request under load).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from typing import Any

from tests.bench.context import Context
from tests.bench.harness import MAIN_PYTHON, Stats, _clean_env
from tests.bench.ingest_targets import process_tree, start
from tests.bench.report import Section, Table, fmt

__all__ = ["NAME", "run"]

NAME = "ingest"
SYSTEMS = ("spanwise", "mlflow", "phoenix")
LABELS = {
    "spanwise": "Spanwise collector (chDB embedded, OTLP/gRPC)",
    "mlflow": "MLflow tracking server (SQLite, OTLP/HTTP)",
    "phoenix": "Phoenix server (SQLite, OTLP/gRPC)",
}
LEAD_S = 4.0  # senders build their request templates and warm up before the budget starts


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _Meter:
    """CPU seconds and peak RSS of a server's process tree, sampled while it runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.peak_rss = 0.0

    def sample(self) -> None:
        rss = 0.0
        for p in process_tree(self.pid):
            cpu = _cpu_seconds(p)
            self.first.setdefault(p, cpu)
            self.last[p] = cpu
            rss += _rss_mb(p)
        self.peak_rss = max(self.peak_rss, rss)

    def restart(self) -> None:
        self.first = dict(self.last)

    @property
    def cpu(self) -> float:
        return sum(v - self.first.get(p, 0.0) for p, v in self.last.items())


def _senders(ctx: Context, target: Any, start_at: float, seconds: float, spans: int,
             procs: int, threads: int, drain: float) -> list[subprocess.Popen[str]]:  # fmt: skip
    out = []
    for k in range(procs):
        env = {"BENCH_PROTOCOL": target.protocol, "BENCH_TARGET": target.address,
               "BENCH_HEADERS": json.dumps(target.headers), "BENCH_START_AT": repr(start_at),
               "BENCH_SECONDS": str(seconds), "BENCH_SPANS": str(spans),
               "BENCH_THREADS": str(threads), "BENCH_SEED": str(k + 1), "BENCH_WARMUP": "1",
               "BENCH_DRAIN": str(drain)}  # fmt: skip
        out.append(subprocess.Popen(
            [str(MAIN_PYTHON), "-m", "tests.bench.workloads.ingest"],
            env=_clean_env(env, spanwise_sources=False), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        ))  # fmt: skip
    return out


def measure(ctx: Context, system: str, seconds: float, spans: int, procs: int,
            threads: int, drain: float = 20.0) -> dict[str, Any]:  # fmt: skip
    """One run: a fresh server, ``procs`` senders for ``seconds`` (then up to ``drain``
    seconds for the replies still in flight); figures as a dict."""
    load = os.getloadavg()[0]
    with start(ctx, system) as target:
        meter = _Meter(target.pid)
        start_at = time.time() + LEAD_S
        senders = _senders(ctx, target, start_at, seconds, spans, procs, threads, drain)
        meter.sample()
        time.sleep(max(0.0, start_at - time.time()))
        stored_at_start = target.stored_spans() if system != "spanwise" else 0
        meter.sample()
        meter.restart()
        while time.time() < start_at + seconds:
            time.sleep(0.25)
            meter.sample()
        stored_at_end = target.stored_spans() if system != "spanwise" else None
        results = []
        for p in senders:
            out, err = p.communicate(timeout=drain + 60)
            lines = [ln for ln in out.splitlines() if ln.startswith("{")]
            if p.returncode or not lines:
                return {"error": f"sender exit {p.returncode}: {err.strip()[-400:]}"}
            results.append(json.loads(lines[-1]))
        target.wait_written()  # Spanwise: until every acknowledged span is in the store
        meter.sample()
        drained = time.time() - start_at
        stored_drained = target.stored_spans() if system != "spanwise" else 0
        target.service.stop()
        if system == "spanwise":  # every acknowledged span must be stored: check, count
            stored = target.stored_spans() - sum(r["warmup_spans"] for r in results)
        else:  # what became queryable during the budget
            stored = (stored_at_end or 0) - stored_at_start
    lat = sorted(x for r in results for x in r["latencies_ms"])
    acked = sum(r["spans"] for r in results)
    late = sum(r["late_spans"] for r in results)
    if system == "spanwise":
        # acknowledged (in the budget or in flight at its end) and found in the store, per
        # second until they were all in the store (it acknowledges from its spool first)
        rate = min(acked + late, stored) / drained
    else:  # slow peers answer big requests late: count until the last reply (or the drain limit)
        rate = (stored_drained - stored_at_start) / drained
    return {
        "acked_per_s": acked / seconds,
        "stored_per_s": rate,
        "stored_in_budget_per_s": stored / seconds,
        "late": late,
        "in_flight_at_exit": sum(r["in_flight_at_exit"] for r in results),
        "acked": acked,
        "stored": stored,
        "p50_ms": lat[len(lat) // 2] if lat else None,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else None,
        "refused": sum(r["refused"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "error_samples": [e for r in results for e in r["error_samples"]][:2],
        "cpu_cores": meter.cpu / drained,
        "cpu_us_per_span": meter.cpu / max(1.0, rate * drained) * 1e6,
        "peak_rss_mb": meter.peak_rss,
        "load": load,
    }


def _show(res: dict[str, Any]) -> str:
    if "error" in res:
        return res["error"].splitlines()[-1][:200]
    return (f"acked {res['acked_per_s']:,.0f}/s stored {res['stored_per_s']:,.0f}/s "
            f"(in budget {res['stored_in_budget_per_s']:,.0f}/s) late {res['late']} "
            f"p50 {res['p50_ms']} ms p99 {res['p99_ms']} ms refused {res['refused']} "
            f"errors {res['errors']} cpu {res['cpu_cores']:.2f} ({res['cpu_us_per_span']:.0f} µs/span) "
            f"rss {res['peak_rss_mb']:.0f} MB "
            f"load {res['load']:.1f}")  # fmt: skip


def _stats(runs: list[dict[str, Any]], key: str) -> Stats | None:
    vals = [r[key] for r in runs if r.get(key) is not None]
    return Stats(tuple(vals)) if vals else None


def table(results: dict[str, list[dict[str, Any]]]) -> Table:
    base = _stats(results.get("spanwise", []), "stored_per_s")
    rows = []
    for system in SYSTEMS:
        runs = [r for r in results.get(system, []) if "error" not in r]
        stored = _stats(runs, "stored_per_s")
        if stored is None:
            err = next((r["error"] for r in results.get(system, []) if "error" in r), "not run")
            rows.append((LABELS[system], *["—"] * 10, f"failed: {err.splitlines()[-1][:120]}"))
            continue
        acked = _stats(runs, "acked_per_s")
        ratio = base.median / stored.median if base and stored.median else None
        lost = sum(max(0, r["acked"] + r["late"] - (r["stored"] or 0)) for r in runs)
        med = {k: statistics.median(r[k] for r in runs) for k in
               ("p50_ms", "p99_ms", "cpu_cores", "peak_rss_mb", "cpu_us_per_span")}  # fmt: skip
        rows.append((
            LABELS[system], fmt(stored.min), fmt(stored.median), fmt(stored.max),
            fmt(acked.median if acked else None), fmt(med["p50_ms"]), fmt(med["p99_ms"]),
            f"{med['cpu_cores']:.2f}", fmt(med["cpu_us_per_span"]), fmt(med["peak_rss_mb"]),
            "—" if system == "spanwise" else f"{ratio:.1f}×" if ratio else "—",
            (f"{lost:,} acked not stored" if system == "spanwise" else
             f"stored within the budget: {fmt(_stats(runs, 'stored_in_budget_per_s').median)}/s") +
            f"; {sum(r['refused'] for r in runs):,} refused",
        ))  # fmt: skip
    cols = ("receiver", "stored spans/s min", "median", "max", "acked spans/s (median)",
            "Export p50 ms", "p99 ms", "server CPU cores", "server CPU µs/span", "peak RSS MB",
            "Spanwise ×", "notes")  # fmt: skip
    return Table(cols, tuple(rows))


def run(ctx: Context) -> Section:
    seconds = 10.0 if ctx.quick else 30.0
    drain = 20.0 if ctx.quick else 60.0
    rounds = 1 if ctx.quick else 3
    spans, procs, threads = 512, 4, 2
    ctx.log(f"ingest: {len(SYSTEMS)} receivers × {rounds} rounds, {seconds:g} s each, "
            f"{procs} senders × {threads} in flight, ~{spans} spans/request")  # fmt: skip
    results: dict[str, list[dict[str, Any]]] = {s: [] for s in SYSTEMS}
    for r in range(rounds):
        for system in SYSTEMS:
            try:
                res = measure(ctx, system, seconds, spans, procs, threads, drain)
            except Exception as exc:  # a peer that does not start is reported, not fatal
                res = {"error": f"{type(exc).__name__}: {exc}"}
            results[system].append(res)
            ctx.log(f"    round {r + 1}/{rounds} {system}: {_show(res)}")
    loads = [r["load"] for rs in results.values() for r in rs if "load" in r]
    verdict = _targets(results)
    return Section(
        title="3. Ingest throughput (OTLP receivers, fresh store each run)",
        intro=(
            f"{procs} load-generator processes × {threads} requests in flight each send realistic "
            "LLM traces (1 agent root + 5–20 children, 60% LLM calls with model, tokens and chat "
            f"messages, 10–30 attributes per span, prompts 200–2,000 chars; ~{spans} spans and "
            "~1.1 MB per OTLP request, like an SDK batch exporter) for "
            f"{seconds:g} s to each receiver; refused requests are retried after 50 ms. Receivers "
            "run one at a time on this machine, interleaved round by round, each on a new empty "
            f"store; {rounds} run(s) per receiver."
        ),
        tables=((f"spans/s over a {seconds:g} s budget", table(results)),),
        notes=(
            "stored = spans that became queryable, per second. Spanwise (acknowledges once a batch "
            "is fsynced to its spool, inserts after): the spans acknowledged in the budget or in "
            "flight at its end, counted in the store after a clean stop (less the senders' "
            "uncounted warm-up requests; every acknowledged span must be there: the notes column "
            "counts any that are not), per second from the start of the budget until a read "
            "through its HTTP API (which waits for every acknowledged span to be in the store) "
            "returned; MLflow and Phoenix: rows gained by their SQLite `spans` table from the start of the budget until "
            f"their replies to the requests sent in it came back (at most {drain:g} s more), per "
            "second of that time — a peer answering a 512-span request in seconds still gets credit "
            "for it; the notes column shows the rate within the budget alone. Phoenix acknowledges "
            "into an in-memory queue and writes later.",
            "Spanwise × = Spanwise's median stored spans/s ÷ the peer's. Export latency is "
            "per request, client side. CPU = cores used by the server's process tree from the start "
            "of the budget until the last reply (Spanwise: until all were in the store); µs/span = "
            "that CPU time ÷ spans stored.",
            "The load generators run on the same 2 cores as the receiver; 1-minute load average at "
            f"the start of the runs: {min(loads, default=0):.1f}–{max(loads, default=0):.1f}.",
            *verdict,
        ),
    )


TARGET_SPANS_PER_S = 50_000
TARGET_RATIO = 20


def _targets(results: dict[str, list[dict[str, Any]]]) -> tuple[str, ...]:
    """Issue 9's ingest targets, judged on this run's medians."""
    ok = {s: [r for r in rs if "error" not in r] for s, rs in results.items()}
    ours = _stats(ok.get("spanwise", []), "stored_per_s")
    if ours is None:
        return ()
    speed = "met" if ours.median >= TARGET_SPANS_PER_S else "**missed**"
    lines = [
        f"Target (issue 9) ≥ {TARGET_SPANS_PER_S:,} spans/s acknowledged and durable: {speed} "
        f"({fmt(ours.median)} stored spans/s, "
        f"{fmt(statistics.median(r['cpu_us_per_span'] for r in ok['spanwise']))} µs of collector "
        "CPU per span; where it goes: docs/ingest-performance.md)."
    ]
    for peer in (s for s in SYSTEMS if s != "spanwise"):
        theirs = _stats(ok.get(peer, []), "stored_per_s")
        if theirs is None or not theirs.median:
            continue
        ratio = ours.median / theirs.median
        lines.append(
            f"Target ≥ {TARGET_RATIO}× {LABELS[peer].split(' (')[0]}: "
            f"{'met' if ratio >= TARGET_RATIO else '**missed**'} ({ratio:.1f}×)."
        )
    return tuple(lines)


if (
    __name__ == "__main__"
):  # by hand: python -m tests.bench.bench_ingest SYSTEM [S [PROCS [IN_FLIGHT]]]
    import sys

    from tests.bench.peers import cache_dir, peer_python

    cache = cache_dir()
    c = Context(quick=True, full=False, cache=cache,
                pythons={"mlflow": peer_python("mlflow", cache),
                         "phoenix": peer_python("phoenix", cache), "spanwise": MAIN_PYTHON})  # fmt: skip
    system = sys.argv[1] if len(sys.argv) > 1 else "spanwise"
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    procs = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    in_flight = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    print(_show(measure(c, system, secs, 512, procs, in_flight)), flush=True)
