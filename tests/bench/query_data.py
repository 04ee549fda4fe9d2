"""Load the corpus into every system once, then time the queries and measure the disk.

Shared by benchmarks 4 (query) and 5 (storage): ``prepare(ctx)`` runs once per suite run.
Spanwise gets N spans straight through the collector's insert path (see
workloads/load_spanwise.py) and is then queried through a real collector process on
that directory; MLflow and Phoenix get the same corpus over OTLP/HTTP for a fixed time
budget, and are queried at whatever prefix of it they stored.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench.context import Context
from tests.bench.harness import MAIN_PYTHON, Service, Variant, run_once, wait_http
from tests.bench.peer_servers import (
    dir_bytes,
    load_otlp_http,
    start_mlflow,
    start_phoenix,
    table_count,
)
from tests.bench.query_ops import Timings, mlflow_ops, phoenix_ops, spanwise_ops

__all__ = ["SEED", "SystemResult", "prepare"]

SEED = 20261127
SPANS_PER_TRACE = 13.5  # mean of 1 + U(5, 20)


@dataclass
class SystemResult:
    name: str
    spans: int = 0
    traces: int = 0
    load_seconds: float = 0.0
    load_how: str = ""
    ops: dict[str, Timings] = field(default_factory=dict)
    first_ms: dict[str, float] = field(default_factory=dict)  # the first (cold) call
    # Spanwise only: the same calls again once its background merges have finished
    settled_ops: dict[str, Timings] = field(default_factory=dict)
    settled_first_ms: dict[str, float] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)  # label -> bytes on disk
    detail: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class Plan:
    spans: int
    peer_budget_s: float
    calls: int
    timeout_s: float
    # Spanwise: load spans/copies through the insert path, then copy them inside the
    # store under new trace/span ids (workloads/load_spanwise.py) — 10M in minutes.
    copies: int = 1
    # Spanwise: longest wait for its merges to finish before timing the calls again
    settle_s: float = 180


def plan(ctx: Context) -> Plan:
    if ctx.quick:
        return Plan(spans=200_000, peer_budget_s=60, calls=10, timeout_s=30, settle_s=60)
    if ctx.full:
        return Plan(spans=10_000_000, peer_budget_s=600, calls=30, timeout_s=120, copies=10,
                    settle_s=600)  # fmt: skip
    return Plan(spans=1_000_000, peer_budget_s=300, calls=30, timeout_s=60)


def _split_first(t: Timings) -> tuple[float | None, Timings]:
    if not t.ms:
        return None, t
    return t.ms[0], Timings(t.ms[1:], t.timeout, t.error, t.found)


def _spanwise(ctx: Context, corpus: Any, p: Plan, root: Path) -> SystemResult:
    res = SystemResult("spanwise")
    store = root / f"spanwise-{p.spans}"
    shutil.rmtree(store, ignore_errors=True)
    traces = round(p.spans / p.copies / SPANS_PER_TRACE)
    env = {"BENCH_STORE": str(store), "BENCH_SEED": str(SEED), "BENCH_NOW_NS": str(corpus.now_ns),
           "BENCH_TRACES": str(traces), "BENCH_COPIES": str(p.copies)}  # fmt: skip
    ctx.log(f"query/spanwise: loading {traces:,} traces (~{p.spans:,} spans) into {store}")
    loaded = run_once(
        Variant("load", MAIN_PYTHON, "tests.bench.workloads.load_spanwise", env, True),
        timeout=4 * 3600,
    )
    if "error" in loaded:
        res.error = loaded["error"]
        return res
    res.spans, res.traces, res.load_seconds = loaded["spans"], traces * p.copies, loaded["seconds"]
    res.load_how = "collector insert path in-process (convert → pricing → insert_arrow)"
    if p.copies > 1:
        res.load_how += (
            f"; then {p.copies - 1} copies of those spans made inside the store under new "
            "trace/span ids (INSERT … SELECT through the same table and views)"
        )
    res.detail["load_phases"] = {k: v for k, v in loaded.items() if k.endswith("_s")}
    ctx.log(f"query/spanwise: {res.spans:,} spans in {res.load_seconds:.0f} s; {loaded}")
    res.detail["sizes_loaded"] = _sizes(store, optimize=False)
    cmd = [str(MAIN_PYTHON), "-m", "spanwise_collector", "collector", "--store", str(store),
           "--grpc-port", "0", "--http-port", "0"]  # fmt: skip
    with Service("collector", cmd, spanwise_sources=True) as svc:
        url = f"http://127.0.0.1:{svc.fields()['http']}"
        wait_http(f"{url}/healthz", 120, svc.proc)
        up = time.monotonic()
        merging = [_merging(store)]
        ops = spanwise_ops(url, corpus, traces, p.calls + 1, p.timeout_s)
        merging.append(_merging(store))
        ctx.log(f"query/spanwise: waiting up to {p.settle_s:.0f} s for merges to finish")
        done, seen = _settle(store, up + p.settle_s)
        # merges running when the first timings began and ended; any seen while waiting
        res.detail["merges_around_first_timings"] = merging
        res.detail["merges_seen_while_waiting"] = seen
        # from the collector's start (its first timed calls ran meanwhile); None: not settled
        res.detail["settled_after_s"] = None if done is None else round(done - up)
        res.detail["settle_limit_s"] = p.settle_s
        res.detail["second_timings_at_s"] = round(time.monotonic() - up)
        settled = spanwise_ops(url, corpus, traces, p.calls + 1, p.timeout_s, rerun=1)
    for op, t in ops.items():
        res.first_ms[op], res.ops[op] = _split_first(t)
    for op, t in settled.items():
        res.settled_first_ms[op], res.settled_ops[op] = _split_first(t)
    res.detail["sizes_optimized"] = _sizes(store, optimize=True)
    for label, key in (("as loaded", "sizes_loaded"), ("after OPTIMIZE FINAL", "sizes_optimized")):
        tables = res.detail[key].get("tables", [])
        res.bytes[label] = sum(int(t["bytes"]) for t in tables)
    res.bytes["whole directory (incl. replaced parts not yet deleted)"] = dir_bytes(store)
    return res


def _merging(store: Path) -> int:
    """Merges (and mutations) running on the spans and summary tables. Another process
    cannot ask the collector's embedded engine for system.merges; a merge writes its new
    part into a ``tmp_merge_*`` directory of the table until it commits."""
    return sum(
        1
        for table in ("otel_traces", "trace_summary")
        for d in (store / "data").glob(f"*/{table}")
        for part in d.iterdir()
        if part.name.startswith(("tmp_merge_", "tmp_mut_"))
    )


def _settle(store: Path, deadline: float, quiet_s: float = 10) -> tuple[float | None, bool]:
    """Wait until no merge has run for ``quiet_s``. Returns when the last one ended
    (monotonic clock; None if merges still ran at ``deadline``) and whether any was seen."""
    quiet_from: float | None = None
    seen = False
    while (now := time.monotonic()) < deadline:
        if _merging(store):
            quiet_from, seen = None, True
        elif quiet_from is None:
            quiet_from = now
        elif now - quiet_from >= quiet_s:
            return quiet_from, seen
        time.sleep(1)
    return None, seen


def _sizes(store: Path, optimize: bool) -> dict[str, Any]:
    env = {"BENCH_STORE": str(store), "BENCH_SEED": "0", "BENCH_NOW_NS": "0", "BENCH_TRACES": "0",
           "BENCH_SIZES": "1", "BENCH_OPTIMIZE": "1" if optimize else "0"}  # fmt: skip
    out = run_once(Variant("sizes", MAIN_PYTHON, "tests.bench.workloads.load_spanwise", env, True),
                   timeout=3600)  # fmt: skip
    return out


def _max_traces(p: Plan) -> int:
    return round(p.spans / SPANS_PER_TRACE)


def _mlflow(ctx: Context, corpus: Any, p: Plan, root: Path) -> SystemResult:
    res = SystemResult("mlflow")
    work = root / "mlflow"
    shutil.rmtree(work, ignore_errors=True)
    svc, url, experiment = start_mlflow(ctx, work)
    try:
        ctx.log(f"query/mlflow: OTLP/HTTP load for {p.peer_budget_s:.0f} s")
        loaded = load_otlp_http(url, {"x-mlflow-experiment-id": experiment}, corpus,
                                _max_traces(p), p.peer_budget_s)  # fmt: skip
        res.traces, res.load_seconds = loaded.traces, loaded.seconds
        res.spans = table_count(work / "mlflow.db", "spans")
        res.detail["acknowledged_spans"] = loaded.spans
        res.load_how = f"OTLP/HTTP /v1/traces, 2 senders, {p.peer_budget_s:.0f} s budget"
        ctx.log(f"query/mlflow: {loaded}, stored spans {res.spans:,}")

        def restart() -> tuple[str, str]:
            nonlocal svc, url
            ctx.log("query/mlflow: restarting the server after a timeout")
            svc.stop()
            svc, url, _ = start_mlflow(ctx, work)
            return url, experiment

        ops = mlflow_ops(ctx.python("mlflow"), url, experiment, corpus, loaded.traces,
                         p.calls + 1, p.timeout_s, restart)  # fmt: skip
        for op, t in ops.items():
            res.first_ms[op], res.ops[op] = _split_first(t)
    finally:
        svc.stop()
    res.bytes["SQLite file + artifacts"] = dir_bytes(work)
    return res


def _phoenix(ctx: Context, corpus: Any, p: Plan, root: Path) -> SystemResult:
    res = SystemResult("phoenix")
    work = root / "phoenix"
    shutil.rmtree(work, ignore_errors=True)
    svc, url = start_phoenix(ctx, work)
    db = work / "phoenix.db"
    try:
        ctx.log(f"query/phoenix: OTLP/HTTP load for {p.peer_budget_s:.0f} s")
        loaded = load_otlp_http(url, {}, corpus, _max_traces(p), p.peer_budget_s)
        # It acknowledges into an in-memory queue: wait (up to the budget) until the
        # stored count stops growing, and query what is stored.
        began, last, stored = time.monotonic(), -1, 0
        while time.monotonic() - began < p.peer_budget_s:
            stored = table_count(db, "spans")
            if stored == last or stored >= loaded.spans:
                break
            last = stored
            time.sleep(10)
        res.load_seconds = loaded.seconds + (time.monotonic() - began)
        res.spans, res.detail["acknowledged_spans"] = stored, loaded.spans
        res.traces = _prefix_with(corpus, stored, loaded.traces)
        res.load_how = (f"OTLP/HTTP /v1/traces, 2 senders, {p.peer_budget_s:.0f} s budget "
                        f"+ wait until stored")  # fmt: skip
        ctx.log(f"query/phoenix: {loaded}, stored spans {stored:,}")
        ops = phoenix_ops(url, corpus, max(1, res.traces), p.calls + 1, p.timeout_s)
        for op, t in ops.items():
            res.first_ms[op], res.ops[op] = _split_first(t)
    finally:
        svc.stop()
    res.bytes["working dir (SQLite)"] = dir_bytes(work)
    return res


def _prefix_with(corpus: Any, spans: int, max_traces: int) -> int:
    """Traces [0, k) whose spans fit in ``spans`` (what a peer has stored, about)."""
    total, k = 0, 0
    while k < max_traces:
        total += corpus.spans_in(k, k + 1)
        if total > spans:
            break
        k += 1
    return k


_DONE: dict[int, dict[str, SystemResult]] = {}


def _prepare(ctx: Context) -> dict[str, SystemResult]:
    from tests.bench.tracegen import Corpus

    p = plan(ctx)
    root = ctx.cache / "query"
    root.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(seed=SEED, now_ns=time.time_ns())
    out: dict[str, SystemResult] = {}
    reused = _reused_peers(ctx.peers_from) if ctx.peers_from else {}
    for name, fn in (("spanwise", _spanwise), ("mlflow", _mlflow), ("phoenix", _phoenix)):
        if name in reused:
            ctx.log(f"query/{name}: reusing the results of {ctx.peers_from}")
            out[name] = reused[name]
            continue
        try:
            out[name] = fn(ctx, corpus, p, root)
        except Exception as exc:
            ctx.log(f"query/{name}: failed: {exc!r}")
            out[name] = SystemResult(name, error=f"{type(exc).__name__}: {exc}"[:300])
    (root / "last-results.json").write_text(
        json.dumps({k: v.__dict__ for k, v in out.items()}, default=lambda o: o.__dict__, indent=1)
    )
    return out


def _reused_peers(path: Path) -> dict[str, SystemResult]:
    """MLflow's and Phoenix's results from an earlier run's last-results.json."""
    data = json.loads(path.read_text())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(path.stat().st_mtime))
    out = {}
    for name in ("mlflow", "phoenix"):
        raw = dict(data[name])
        raw["ops"] = {op: Timings(tuple(t["ms"]), t["timeout"], t["error"], t["found"])
                      for op, t in raw["ops"].items()}  # fmt: skip
        res = SystemResult(**raw)
        res.detail["reused_from"] = when
        out[name] = res
    return out


def prepare(ctx: Context) -> tuple[Plan, dict[str, SystemResult]]:
    """Load and measure once per suite run (both benchmarks read the same results)."""
    if id(ctx) not in _DONE:
        _DONE[id(ctx)] = _prepare(ctx)
    return plan(ctx), _DONE[id(ctx)]
