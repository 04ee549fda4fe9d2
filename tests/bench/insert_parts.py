"""What the engine's insert into ``otel_traces`` costs, per schema part (run by hand).

    python -m tests.bench.insert_parts [--rounds 4] [--requests 40] [--batch 10000]
                                       [--only full,no_mvs,...] [--no-sizes]

Builds the ingest benchmark's corpus (workloads/llm_traces.py: OTLP request → parse →
convert → pricing → ``SpanBatch.to_arrow``; ~20k spans per round, fresh templates each
round so no prompt repeats), then inserts the same Arrow batches (``--batch`` rows per
insert, as the collector does at load) into variants of the schema, each variant in its
own database of ONE chDB store (one engine per process). Variants run interleaved,
round by round (A B C … then B C … A, rotated so none always goes first), so a load
change on the shared machine hits all alike.
Each variant is the deployed schema (all migrations) plus a few ALTER/DROP statements,
inserted with the collector's insert settings (text indexes deferred to merges) unless
the variant says otherwise. Merges are stopped while timing (their CPU would land on
whichever insert runs next) and run afterwards.

Prints per variant: wall µs/span and CPU µs/span of the process (all engine threads)
for the insert, min and median over rounds; then bytes per span on disk after
``OPTIMIZE TABLE otel_traces FINAL`` (active parts' bytes_on_disk incl. skip indexes,
and the column data alone), and the CPU the OPTIMIZE took per span (merge cost).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_VIEWS = ("trace_summary_mv", "span_rollup_hourly_mv", "trace_times_mv")
_BLOOMS = ("idx_session", "idx_user", "idx_run", "idx_span_attr_key", "idx_span_attr_value")
_SETS = ("idx_model", "idx_span_type", "idx_status")
_MINMAX = ("idx_ts", "idx_duration")


@dataclass(frozen=True)
class Variant:
    name: str
    alters: tuple[str, ...] = ()  # run on the variant's database ({db}) after migrating
    settings: dict[str, Any] = field(default_factory=dict)  # on top of the collector's
    build_text_indexes: bool = False  # True: no deferral, indexes built at insert
    method: str = "cc"  # cc: clickhouse-connect insert_arrow; python: Python(tbl)
    table: str = "otel_traces"  # another table made by ``alters`` (e.g. a Null engine copy)


def _drop_views(*views: str) -> tuple[str, ...]:
    return tuple(f"DROP VIEW IF EXISTS {{db}}.{v}" for v in views)


def _drop_indexes(*names: str) -> tuple[str, ...]:
    return tuple(f"ALTER TABLE {{db}}.otel_traces DROP INDEX IF EXISTS {n}" for n in names)


def _codec(columns: tuple[str, ...], codec: str) -> tuple[str, ...]:
    return tuple(
        f"ALTER TABLE {{db}}.otel_traces MODIFY COLUMN {c} CODEC({codec})" for c in columns
    )


ALL_LZ4 = "__all_lz4__"  # marker: every column's ZSTD(n) becomes LZ4 (built from system.columns)

# Explicit both ways, so the table stays meaningful whatever the deployed schema says.
_OOI0 = {"optimize_on_insert": 0}
_OOI1 = {"optimize_on_insert": 1}

VARIANTS: tuple[Variant, ...] = (
    Variant("full"),  # as deployed: all migrations, the collector's insert settings
    Variant("full_text_at_insert", build_text_indexes=True),
    Variant("optimize_on_insert_1", settings=_OOI1),
    Variant("optimize_on_insert_0", settings=_OOI0),
    Variant("no_mvs", _drop_views(*_VIEWS)),
    Variant("no_summary_mv", _drop_views("trace_summary_mv")),
    Variant("no_rollup_mv", _drop_views("span_rollup_hourly_mv")),
    Variant("no_times_mv", _drop_views("trace_times_mv")),
    Variant("no_blooms", _drop_indexes(*_BLOOMS)),
    Variant("no_id_blooms", _drop_indexes("idx_session", "idx_user", "idx_run")),
    Variant("no_attr_value_bloom", _drop_indexes("idx_span_attr_value")),
    Variant("no_attr_blooms", _drop_indexes("idx_span_attr_key", "idx_span_attr_value")),
    Variant("no_set_minmax", _drop_indexes(*_SETS, *_MINMAX)),
    Variant("no_text", _drop_indexes("idx_input_text", "idx_output_text")),
    Variant("no_projection", ("ALTER TABLE {db}.otel_traces DROP PROJECTION IF EXISTS p_time",)),
    Variant("io_zstd3", _codec(("Input", "Output"), "ZSTD(3)")),
    Variant("io_zstd1", _codec(("Input", "Output"), "ZSTD(1)")),
    Variant("io_lz4", _codec(("Input", "Output"), "LZ4")),
    Variant("all_lz4", (ALL_LZ4,)),
    Variant("io_zstd3_ooi1", _codec(("Input", "Output"), "ZSTD(3)"), settings=_OOI1),
    Variant("io_zstd1_ooi0", _codec(("Input", "Output"), "ZSTD(1)"), settings=_OOI0),
    Variant("parallel_views", settings={"parallel_view_processing": 1}),
    Variant(
        "compact_parts",
        ("ALTER TABLE {db}.otel_traces MODIFY SETTING min_bytes_for_wide_part = 1000000000",),
    ),
    Variant("python_tf", method="python"),
    Variant("bare", (*_drop_views(*_VIEWS), *_drop_indexes(*_BLOOMS, *_SETS, *_MINMAX))),
    # The floor: Arrow parsing and defaults only, nothing sorted, compressed or written.
    Variant(
        "null_engine",
        ("CREATE TABLE IF NOT EXISTS {db}.spans_null AS {db}.otel_traces ENGINE = Null",),
        table="spans_null",
    ),
)


def build_rounds(rounds: int, requests: int, spans: int, batch: int) -> list[list[Any]]:
    """Per round: Arrow tables of ``batch`` rows, as the collector's writer inserts them."""
    from spanwise_collector.costs import PricingProcessor
    from spanwise_collector.pipeline.batch import SpanBatch
    from spanwise_collector.pipeline.convert import convert
    from spanwise_collector.receiver.decode import parse_request
    from spanwise_pricing import PriceBook

    from tests.bench.workloads.llm_traces import build_templates, fresh_request

    pricing = PricingProcessor(PriceBook.load(), None)
    out = []
    for r in range(rounds):
        merged = SpanBatch()
        for t in build_templates(100 + r, requests, spans):
            spans_of = convert(parse_request(fresh_request(t)), "bench")
            pricing.process(spans_of)
            merged.extend(spans_of)
        table = merged.to_arrow()
        out.append([table.slice(i, batch) for i in range(0, table.num_rows, batch)])
    return out


def _all_lz4(store: Any) -> list[str]:
    rows = store.query(
        "SELECT name, compression_codec FROM system.columns WHERE database = {db:String} "
        "AND table = 'otel_traces' AND compression_codec LIKE '%ZSTD%'",
        {"db": store.database},
    )
    out = []
    for name, codec in rows:
        new = codec.replace("ZSTD(1)", "LZ4").replace("ZSTD(3)", "LZ4")
        out.append(f"ALTER TABLE {{db}}.otel_traces MODIFY COLUMN `{name}` {new}")
    return out


class Target:
    """One variant's database, ready to insert into."""

    def __init__(self, path: str, variant: Variant) -> None:
        from spanwise_collector.pipeline.pipeline import INSERT_SETTINGS, insert_settings
        from spanwise_collector.store import open_store
        from spanwise_collector.store.location import StoreLocation

        self.variant = variant
        loc = StoreLocation(kind="chdb", path=path, database=f"v_{variant.name}")
        self.store = open_store(loc)
        self.db = f"`{loc.database}`"
        for alter in variant.alters:
            for sql in _all_lz4(self.store) if alter == ALL_LZ4 else [alter]:
                self.store.command(sql.format(db=self.db))
        base = dict(INSERT_SETTINGS) if variant.build_text_indexes else insert_settings(self.store)
        self.settings = {**base, **variant.settings}
        self.store.command(f"SYSTEM STOP MERGES {self.db}.otel_traces")
        self.insert: Callable[[Any], None] = (
            self._python_insert if variant.method == "python" else self._cc_insert
        )
        self._chdb: Any = None

    def _cc_insert(self, table: Any) -> None:
        self.store.insert_arrow(self.variant.table, table, settings=self.settings)

    def _python_insert(self, table: Any) -> None:
        # chDB's Python() table function reads the Arrow table in place (no IPC file);
        # it finds ``tbl`` by name in this frame.
        import chdb

        if self._chdb is None:
            self._chdb = chdb.connect(self.store.location.path)
        tbl = table  # noqa: F841 (read by name by the engine)
        cols = ", ".join(f"`{n}`" for n in table.schema.names)
        opts = ", ".join(f"{k} = {_sql_value(v)}" for k, v in self.settings.items())
        self._chdb.query(
            f"INSERT INTO {self.db}.{self.variant.table} ({cols}) SELECT {cols} FROM Python(tbl) "
            f"SETTINGS {opts}"
        )

    def sizes(self) -> tuple[float, float, float]:
        """(OPTIMIZE FINAL CPU µs/span, bytes on disk per span, column data per span)."""
        if self.variant.table != "otel_traces":
            return 0.0, 0.0, 0.0
        self.store.command(f"SYSTEM START MERGES {self.db}.otel_traces")
        c0 = time.process_time()
        self.store.command(f"OPTIMIZE TABLE {self.db}.otel_traces FINAL")
        c1 = time.process_time()
        rows, disk, data = self.store.query(
            "SELECT sum(rows), sum(bytes_on_disk), sum(data_compressed_bytes) FROM system.parts "
            "WHERE active AND database = {db:String} AND table = 'otel_traces'",
            {"db": self.store.database},
        )[0]
        return (c1 - c0) / rows * 1e6, disk / rows, data / rows


def _sql_value(v: Any) -> str:
    return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "\\'") + "'"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--spans", type=int, default=512)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--only", default="", help="comma-separated variant names")
    ap.add_argument("--no-sizes", action="store_true")
    args = ap.parse_args()

    wanted = set(filter(None, args.only.split(",")))
    variants = [v for v in VARIANTS if not wanted or v.name in wanted]
    t0 = time.perf_counter()
    rounds = build_rounds(args.rounds, args.requests, args.spans, args.batch)
    print(f"corpus: {args.rounds} rounds x {sum(t.num_rows for t in rounds[0])} spans, "
          f"built in {time.perf_counter() - t0:.0f} s; load {os.getloadavg()[0]:.1f}")  # fmt: skip
    path = tempfile.mkdtemp(prefix="insert-parts-")
    targets = [Target(path, v) for v in variants]
    wall: dict[str, list[float]] = {v.name: [] for v in variants}
    cpu: dict[str, list[float]] = {v.name: [] for v in variants}
    gc.collect()
    gc.freeze()
    for r, tables in enumerate(rounds):
        n = sum(t.num_rows for t in tables)
        # Rotated each round: no variant always runs first (or right after another).
        for target in targets[r % len(targets) :] + targets[: r % len(targets)]:
            w0, c0 = time.perf_counter(), time.process_time()
            for table in tables:
                target.insert(table)
            w1, c1 = time.perf_counter(), time.process_time()
            wall[target.variant.name].append((w1 - w0) / n * 1e6)
            cpu[target.variant.name].append((c1 - c0) / n * 1e6)
        print(f"round {r + 1} done, load {os.getloadavg()[0]:.1f}", flush=True)

    print("\n| variant | wall µs/span min | median | CPU µs/span min | median | B/span disk | "
          "B/span data | OPTIMIZE CPU µs/span |\n|---|---:|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for target in targets:
        name = target.variant.name
        size = "| — | — | —"
        if not args.no_sizes:
            size = "| {1:.0f} | {2:.0f} | {0:.1f}".format(*target.sizes())
        print(f"| {name} | {min(wall[name]):.1f} | {statistics.median(wall[name]):.1f} | "
              f"{min(cpu[name]):.1f} | {statistics.median(cpu[name]):.1f} {size} |")  # fmt: skip
    for target in targets:
        if target._chdb is not None:
            target._chdb.close()
        target.store.close()


if __name__ == "__main__":
    main()
