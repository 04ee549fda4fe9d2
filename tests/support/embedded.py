"""A migrated store on a fresh database of the pytest process's one chDB engine
(``embedded_chdb_path`` in tests/conftest.py: one engine per process, one path)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def embedded_store(chdb_path: str | Path, prefix: str = "t", migrations=None):
    """``migrations``: a prefix of ``ddl.MIGRATIONS`` to leave the store at an old schema."""
    from spanwise_collector.store import ClickHouseStore
    from spanwise_collector.store.clickhouse import create_database
    from spanwise_collector.store.location import StoreLocation

    location = StoreLocation(
        kind="chdb", path=str(chdb_path), database=f"{prefix}_{uuid.uuid4().hex[:12]}"
    )
    create_database(location)
    store = ClickHouseStore(location)
    store.migrate() if migrations is None else store.migrate(migrations)
    return store


def takes_current_spans(store: Any) -> None:
    """Let a store left at an old schema take this version's span batches, as it took an
    older collector's: span columns added by later migrations are added now (IF NOT
    EXISTS, as those migrations do, so migrating it afterwards still works)."""
    store.command(
        f"ALTER TABLE `{store.database}`.otel_traces "
        "ADD COLUMN IF NOT EXISTS ParentRemote UInt8 DEFAULT 0"  # migration 14
    )


@contextmanager
def scratch_store(chdb_path: str | Path, prefix: str = "t") -> Iterator[Any]:
    """``embedded_store`` whose database is dropped afterwards (for fixtures)."""
    store = embedded_store(chdb_path, prefix)
    try:
        yield store
    finally:
        store.command(f"DROP DATABASE IF EXISTS `{store.database}`")


def span_counts(store: Any, *trace_ids: bytes) -> list[int]:
    """Stored spans (rows of ``otel_traces``) of each trace, in the order given."""
    rows = dict(store.query(
        "SELECT TraceId, count() FROM otel_traces WHERE TraceId IN {ids:Array(String)} "
        "GROUP BY TraceId", {"ids": [t.hex() for t in trace_ids]},
    ))  # fmt: skip
    return [rows.get(t.hex(), 0) for t in trace_ids]
