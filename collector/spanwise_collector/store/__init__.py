"""Storage: ClickHouse through clickhouse-connect, embedded (chDB) or a server."""

from .clickhouse import ClickHouseStore, StoreError, open_store

__all__ = ["ClickHouseStore", "StoreError", "open_store"]
