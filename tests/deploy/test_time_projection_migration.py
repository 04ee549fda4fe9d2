"""Migration 8: the spans table's time-ordered projection, on old stores too."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from spanwise_collector.store import ddl

from tests.support.embedded import embedded_store
from tests.support.waiting import wait_for

_COLUMNS = ("TraceId", "SpanId", "Timestamp", "Model", "Cost", "InputTokens")
_T0 = datetime(2026, 1, 5, 10, 0)


def _insert(store, first: int, count: int) -> None:
    rows = [
        (f"{n:032x}", f"{n:016x}", _T0 + timedelta(seconds=n), "m" if n % 2 else "n",
         Decimal("0.5"), n)
        for n in range(first, first + count)
    ]  # fmt: skip
    store.insert_rows("otel_traces", rows, _COLUMNS)


def _parts(store) -> list[tuple[str, int]]:
    """Active parts of otel_traces and whether each has the projection."""
    return store.query(
        "SELECT name, name IN (SELECT parent_name FROM system.projection_parts WHERE"
        " database = {db:String} AND table = 'otel_traces' AND name = 'p_time' AND active)"
        " FROM system.parts WHERE database = {db:String} AND table = 'otel_traces' AND active",
        {"db": store.database},
    )


def _wait_for_mutations(store) -> None:
    pending = "SELECT count() FROM system.mutations WHERE database = {db:String} AND NOT is_done"
    done = wait_for(lambda: not store.query(pending, {"db": store.database})[0][0], 30)
    assert done, "MATERIALIZE PROJECTION did not finish"


def test_an_older_store_gets_the_projection_and_still_merges(embedded_chdb_path):
    store = embedded_store(embedded_chdb_path, "proj", migrations=ddl.MIGRATIONS[:7])
    _insert(store, 0, 3000)  # several granules of 1,024 rows per part
    _insert(store, 3000, 3000)
    assert store.migrate() == [m.version for m in ddl.MIGRATIONS[7:]]
    _wait_for_mutations(store)
    _insert(store, 6000, 3000)  # written with the projection
    assert [has for _, has in _parts(store)] == [1, 1, 1]
    # Parts without the projection would never merge with parts that have it.
    store.command(f"OPTIMIZE TABLE {store.database}.otel_traces FINAL")
    assert [has for _, has in _parts(store)] == [1]

    window = "WHERE Timestamp >= '2026-01-05 11:00:00' AND Timestamp < '2026-01-05 11:05:00'"
    sql = f"SELECT Model, count(), sum(Cost), sum(InputTokens) FROM otel_traces {window} GROUP BY Model ORDER BY Model"
    by_time = store.query(f"{sql} SETTINGS force_optimize_projection_name = 'p_time'")
    by_trace = store.query(f"{sql} SETTINGS optimize_use_projections = 0")
    assert (
        by_time
        == by_trace
        == [
            ("m", 150, Decimal(75), sum(range(3601, 3900, 2))),
            ("n", 150, Decimal(75), sum(range(3600, 3900, 2))),
        ]
    )


def test_a_new_store_has_it(embedded_chdb_path):
    store = embedded_store(embedded_chdb_path, "proj_new")
    create = store.query(f"SHOW CREATE TABLE {store.database}.otel_traces")[0][0]
    assert (
        "PROJECTION p_time" in create and "deduplicate_merge_projection_mode = 'rebuild'" in create
    )
