"""An embedded (chDB) store inside the test process, one database per caller.

chDB runs one engine per process on one directory, so every in-process test
shares this directory and isolates itself by database name.
"""

from __future__ import annotations

import tempfile
import uuid

_PATH: str | None = None


def shared_chdb_path() -> str:
    global _PATH
    if _PATH is None:
        _PATH = tempfile.mkdtemp(prefix="spanwise-test-chdb-")
    return _PATH


def embedded_store(prefix: str = "t"):
    """A migrated ``ClickHouseStore`` on a fresh database of the shared engine."""
    from spanwise_collector.store import ClickHouseStore
    from spanwise_collector.store.location import StoreLocation

    database = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = ClickHouseStore(StoreLocation(kind="chdb", path=shared_chdb_path()))
    admin.command(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    store = ClickHouseStore(StoreLocation(kind="chdb", path=shared_chdb_path(), database=database))
    store.migrate()
    return store
