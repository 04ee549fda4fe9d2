"""Benchmark 5: bytes on disk per span after loading the same corpus into each system."""

from __future__ import annotations

from tests.bench.bench_query import LABELS
from tests.bench.context import Context
from tests.bench.query_data import prepare
from tests.bench.report import Section, Table, fmt

__all__ = ["NAME", "run"]

NAME = "storage"


def run(ctx: Context) -> Section:
    _, results = prepare(ctx)
    peers = [
        r.bytes[k] / r.spans
        for n, r in results.items()
        if n != "spanwise" and r.spans
        for k in r.bytes
    ]
    best_peer = min(peers) if peers else None
    rows = []
    for name, r in results.items():
        for label, size in r.bytes.items():
            per = size / r.spans if r.spans else None
            ratio = (
                fmt(best_peer / per, 1) + "×" if per and best_peer and name == "spanwise" else "—"
            )
            rows.append((LABELS[name], label, f"{r.spans:,}", f"{size / 2**20:,.1f}",
                         fmt(per), ratio))  # fmt: skip
    cols = ("system", "what is counted", "spans", "MiB on disk", "bytes per span",
            "smallest peer ÷ Spanwise")  # fmt: skip
    notes = [
        "Spanwise counts the active parts of its tables (system.parts bytes_on_disk: data, "
        "marks, primary and skip indexes) right after loading, and again after "
        "`OPTIMIZE TABLE … FINAL` of otel_traces and trace_summary (a fair comparison is the "
        "loaded state: the peers' SQLite files are not vacuumed either). The whole directory, "
        "measured right after the OPTIMIZE, also holds the parts that merges replaced and the "
        "engine has not deleted yet (inactive parts, removed by a background cleanup: 32 of "
        "the 40 parts of otel_traces, 642 of 1,266 MB, in a store checked after a run).",
        "Target (issue 9): Spanwise ≤ 1/5 of the peers' bytes per span, i.e. the last column ≥ 5.",
    ]
    sw = results.get("spanwise")
    if sw and sw.detail.get("sizes_loaded"):
        s = sw.detail["sizes_loaded"]
        cols_top = ", ".join(
            f"{c['name']} {int(c['bytes']) / sw.spans:,.0f}" for c in s.get("columns", [])
        )
        idx = ", ".join(
            f"{i['table']}.{i['name']} {int(i['bytes']) / sw.spans:,.0f}"
            for i in s.get("indexes", [])
            if int(i["bytes"]) > 0
        )
        notes.append(f"Spanwise as loaded, bytes per span by column (largest): {cols_top}.")
        notes.append(f"Spanwise skip indexes, bytes per span: {idx}.")
    return Section(
        title="5. Bytes on disk per span",
        intro="After loading the corpus of benchmark 4 (same spans, same order) into each system.",
        tables=(("", Table(cols, tuple(rows))),),
        notes=tuple(notes),
    )
