"""Benchmark 4: query latency at N spans, Spanwise against MLflow and Phoenix."""

from __future__ import annotations

from tests.bench.context import Context
from tests.bench.query_data import SystemResult, prepare
from tests.bench.query_ops import OPS, Timings
from tests.bench.report import Section, Table, fmt

__all__ = ["NAME", "run"]

NAME = "query"
LABELS = {"spanwise": "Spanwise (collector HTTP API, embedded chDB)",
          "mlflow": "MLflow server (its Python client, SQLite)",
          "phoenix": "Phoenix server (REST + GraphQL, SQLite)"}  # fmt: skip
OP_LABELS = {
    "by_id": "one trace by id (all spans)",
    "search": "filtered search page (model = X, cost > Y, last day, newest 100)",
    "rollup": "rollup: calls/cost/tokens by model × day, 7 days",
}
# Issue 9 targets at 10M spans (ms, p50 for by-id, every call for the others).
TARGET_MS = {"by_id": 50, "search": 300, "rollup": 500}


def percentile(values: tuple[float, ...], q: float) -> float:
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[k]


def _cell(t: Timings | None, timeout: float) -> tuple[str, str, str, str]:
    if t is None:
        return ("—",) * 4
    if t.timeout:
        done = f" ({len(t.ms)} calls before)" if t.ms else ""
        return (f"> {timeout:.0f} s{done}", "—", "—", "—")
    if not t.ms:
        return (f"failed: {t.error[:80]}", "—", "—", "—")
    return (fmt(percentile(t.ms, 50)), fmt(percentile(t.ms, 99)), fmt(min(t.ms)), fmt(max(t.ms)))


def _settled_label(sw: SystemResult) -> str:
    after = sw.detail.get("settled_after_s")
    if after is None:
        return f"Spanwise, merges still running after {sw.detail.get('settle_limit_s', 0):.0f} s"
    if not sw.detail.get("merges_seen_while_waiting") and not any(
        sw.detail.get("merges_around_first_timings", ())
    ):
        at = sw.detail.get("second_timings_at_s", after)
        return f"Spanwise, timed again {at} s after start (no merge seen)"
    return f"Spanwise, merges settled (after {after} s)"


def _row(op: str, label: str, r: SystemResult, t: Timings | None, first: float | None,
         timeout: float, ratio: str) -> tuple[str, ...]:  # fmt: skip
    p50, p99, lo, hi = (
        _cell(t, timeout) if not r.error else (f"failed: {r.error[:80]}", "—", "—", "—")
    )
    return (OP_LABELS[op], label, f"{r.spans:,}", fmt(first) if first is not None else "—", p50,
            p99, lo, hi, str(t.found) if t else "—", ratio)  # fmt: skip


def table(results: dict[str, SystemResult], timeout: float) -> Table:
    rows = []
    sw = results.get("spanwise")
    for op in OPS:
        for name, r in results.items():
            t = r.ops.get(op)
            ratio = "—"
            if name != "spanwise" and sw and sw.ops.get(op) and sw.ops[op].ms and t is not None:
                base = percentile(sw.ops[op].ms, 50)
                if t.timeout:
                    ratio = f"> {timeout * 1000 / base:,.0f}×"
                elif t.ms:
                    ratio = f"{percentile(t.ms, 50) / base:,.1f}×"
            rows.append(_row(op, LABELS[name], r, t, r.first_ms.get(op), timeout, ratio))
            if name == "spanwise" and r.settled_ops:
                rows.append(_row(op, _settled_label(r), r, r.settled_ops.get(op),
                                 r.settled_first_ms.get(op), timeout, "—"))  # fmt: skip
    cols = ("operation", "system", "spans stored", "first call ms", "p50 ms", "p99 ms", "min ms",
            "max ms", "results (sum)", "peer p50 ÷ Spanwise p50")  # fmt: skip
    return Table(cols, tuple(rows))


def _targets(results: dict[str, SystemResult], spans: int) -> Table:
    sw = results.get("spanwise")
    rows = []
    for op in OPS:
        t = sw.ops.get(op) if sw else None
        settled = sw.settled_ops.get(op) if sw else None
        after = fmt(percentile(settled.ms, 50)) if settled and settled.ms else "—"
        if not t or not t.ms:
            rows.append((OP_LABELS[op], f"≤ {TARGET_MS[op]}", "—", after, "not measured"))
            continue
        stat = percentile(t.ms, 50)
        worst = max(t.ms)
        verdict = "met" if stat <= TARGET_MS[op] else "MISSED"
        rows.append((OP_LABELS[op], f"p50 ≤ {TARGET_MS[op]}", f"p50 {fmt(stat)}, max {fmt(worst)}",
                     f"p50 {after}", f"{verdict} at {spans:,} spans"))  # fmt: skip
    cols = ("operation", "target ms (at 10M spans)", "Spanwise ms, right after load",
            "Spanwise ms, merges settled", "verdict (right after load)")  # fmt: skip
    return Table(cols, tuple(rows))


def _settled_note(sw: SystemResult) -> str:
    after, limit = sw.detail.get("settled_after_s"), sw.detail.get("settle_limit_s", 0)
    began, ended = sw.detail.get("merges_around_first_timings", ("?", "?"))
    parts = {t["table"]: t["parts"] for t in sw.detail.get("sizes_loaded", {}).get("tables", [])}
    how = (f"Active parts as loaded: spans table {parts.get('otel_traces', '?')}, summary "
           f"{parts.get('trace_summary', '?')}. "
           "The same calls (new parameters of the same kind) were then timed again on the same "
           "collector once no merge had run on the spans or summary tables for 10 s (watched as "
           "the tables' `tmp_merge_*` part directories: another process cannot ask the "
           "collector's embedded engine for system.merges). Merges running when the first "
           f"timings began / ended: {began} / {ended}")  # fmt: skip
    if after is None:
        return f"{how}; merges still ran after the {limit:.0f} s limit, so they were timed then."
    if sw.detail.get("merges_seen_while_waiting"):
        return f"{how}; the last merge ended {after} s after the collector had started."
    return f"{how}; no merge ran while waiting (from {after} s after the collector had started)."


def run(ctx: Context) -> Section:
    p, results = prepare(ctx)
    sw = results["spanwise"]
    notes = [
        f"Spanwise loaded {sw.spans:,} spans ({sw.traces:,} traces) in {sw.load_seconds:.0f} s "
        f"({sw.load_how}): straight through the collector's insert path in one process (OTLP request → "
        "`convert` → pricing processor → `insert_arrow` into `otel_traces`, which feeds the "
        "`trace_summary` materialized view), not over the network: 1M spans over OTLP would take "
        "too long on 2 cores. Then a real collector process was started on that directory and "
        "every query went through its HTTP API, a new connection per call (as `spanwise.Client` does; all systems alike). "
        f"Load phases (s): {sw.detail.get('load_phases', {})}.",
    ]
    for name in ("mlflow", "phoenix"):
        r = results[name]
        if r.error:
            notes.append(f"{LABELS[name]}: failed: {r.error}")
            continue
        if r.detail.get("reused_from"):
            notes.append(f"{LABELS[name]}: load and timings reused from the run of "
                         f"{r.detail['reused_from']} (`--peers-from`; same corpus and budget).")  # fmt: skip
        notes.append(
            f"{LABELS[name]}: {r.load_how}; acknowledged {r.detail.get('acknowledged_spans', 0):,} "
            f"spans, stored {r.spans:,} ({r.traces:,} traces queried) in {r.load_seconds:.0f} s — "
            f"that is the N it could take in the budget."
        )
    notes += [
        f"{p.calls} timed calls per operation and system after one first (cold) call, each with new "
        "parameters (random trace ids; model, cost threshold and window start change every call), "
        "so ClickHouse's query condition cache cannot answer from an identical query. p99 of "
        f"{p.calls} calls is close to the max.",
        f'Every peer call has a {p.timeout_s:.0f} s timeout; a miss shows as "> timeout" and ends '
        "that operation for that system (MLflow's server is restarted, it stays busy).",
        "Equivalents on the peers: MLflow `search_traces` has no cost filter — model (span "
        "attribute) + last day, newest 100; its rollup is `query_trace_metrics` (SPANS view, "
        "span_count by span_model_name, daily buckets: no tokens/cost per model without a price "
        "list). Phoenix's filtered page is a GraphQL span page (`llm.model_name == X and total_cost > "
        "Y`, newest 100 spans); it has no model × day aggregate, so its rollup is "
        "`topModelsByCost` once per day (7 GraphQL calls, timed together).",
        "Peers are queried at the N they could load, Spanwise at the full N: the ratios favour "
        "the peers (their data sets are far smaller).",
        "Spanwise is queried right after loading, as the load left the store (many parts per "
        "day; merges, where they run, compete for the two cores); the ratios and the verdicts "
        "are on those figures. Profile of the misses and the plan: "
        "tests/bench/QUERY-PROFILE.md.",
        _settled_note(sw),
    ]
    return Section(
        # --full has its own section (4b), so the default run's 4 stays in the report
        title="4b. Query latency at 10M spans (--full)" if ctx.full else "4. Query latency",
        intro=(
            f"The same corpus of LLM traces (tests/bench/tracegen.py: an agent root and 5–20 "
            "children, 10–30 attributes per span, prompts of 200–2,000 characters, start times "
            f"over the last 7 days) in every system; Spanwise at N = {sw.spans:,} spans."
        ),
        tables=(
            ("", table(results, p.timeout_s)),
            ("Targets (issue 9)", _targets(results, sw.spans)),
        ),
        notes=tuple(notes),
    )
