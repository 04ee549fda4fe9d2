"""One small interface over clickhouse-connect for both the embedded and the server store.

chDB allows one engine per process and per directory; clickhouse-connect clients
on the same engine run queries in parallel, one caller each, so we keep a small
pool of clients and hand one to each caller.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from . import ddl
from . import migrations as schema_migrations
from .ddl_render import LOCAL_SUFFIX, SchemaTarget
from .errors import classify_insert_error
from .location import StoreLocation, parse_store
from .retention import Retention

logger = logging.getLogger("spanwise.collector")


class StoreError(Exception):
    """The store failed. ``retryable`` says whether trying again later may succeed;
    ``code`` is ClickHouse's error code when it gave one."""

    def __init__(self, message: str, retryable: bool = True, code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


def _connect(loc: StoreLocation, database: str | None = None) -> Any:
    """A client whose default database is ``database`` (``loc.database`` if None;
    ``"__default__"``: the user's default, for creating ``loc.database``)."""
    import clickhouse_connect

    database = database or loc.database
    if loc.kind == "chdb":
        try:
            os.makedirs(loc.path, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the embedded store directory {loc.path}: {exc.strerror or exc}. "
                "Pass a directory you can write to with --store.",
                retryable=False,
            ) from exc
        try:
            return clickhouse_connect.get_client(dsn=f"chdb://{loc.path}", database=database)
        except Exception as exc:
            raise StoreError(
                f"cannot open the embedded store at {loc.path}: {exc}. Only one process can "
                "use a chDB directory at a time — is another `spanwise collector` (or a "
                "`spanwise demo`) running on it? Stop it or pass a different --store.",
                retryable=False,
            ) from exc
    try:
        return clickhouse_connect.get_client(
            host=loc.host,
            port=loc.port,
            username=loc.username,
            password=loc.password,
            database=database,
            secure=loc.secure,
            compress="lz4",
        )
    except Exception as exc:
        raise StoreError(f"cannot connect to ClickHouse at {loc.describe()}: {exc}") from exc


def _insert_file_prefix() -> str:
    """Insert files are named for the process that writes them (see `_insert_files_dir`)."""
    return f"insert-{os.getpid()}-"


def _insert_files_dir(loc: StoreLocation) -> str | None:
    """Where chDB inserts stage their Arrow files: inside the store's own directory, so
    that files left by a collector killed mid-insert are removed the next time the store
    opens. Only one process can have a chDB directory open, so a file named for another
    process id is such a leftover; this process's own may be in flight (several stores
    on one directory in one process)."""
    if loc.kind != "chdb":
        return None
    path = os.path.join(loc.path, "spanwise-inserts")
    os.makedirs(path, exist_ok=True)
    mine = _insert_file_prefix()
    for name in os.listdir(path):
        if name.endswith(".arrow") and not name.startswith(mine):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(path, name))
    return path


_PARAMETER = re.compile(r"\{(\w+):[^{}]+\}")


def inline_parameters(sql: str, parameters: Mapping[str, Any]) -> str:
    """``{name:Type}`` placeholders replaced by the values as SQL literals, quoted and
    escaped by the driver's own formatter (for statements that cannot carry parameters)."""
    from clickhouse_connect.driver.binding import format_query_value

    return _PARAMETER.sub(lambda m: str(format_query_value(parameters[m.group(1)])), sql)


class ClickHouseStore:
    """Connection pool + schema migrations + the three operations the collector needs."""

    def __init__(
        self,
        location: StoreLocation,
        pool_size: int = 4,
        cluster: str | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.location = location
        self.database = location.database
        # On a cluster ``otel_traces`` etc. are Distributed tables. Inserts go through
        # them with foreground (synchronous) routing: the insert returns only once every
        # shard's local table has its rows, so "acknowledged" still means "stored" —
        # the asynchronous default would ack after spooling on one node. The collector
        # never computes shards itself: ClickHouse routes by the table's sharding key.
        # retention None: leave the tables' retention as it is (new tables: keep forever).
        self.retention = retention
        self.schema = SchemaTarget(self.database, cluster, retention or Retention())
        self.insert_settings: dict[str, Any] = (
            {"distributed_foreground_insert": 1} if cluster else {}
        )
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._created = 0
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._pool.put(_connect(location))
        self._created = 1
        self._unclassified: set[int | None] = set()  # error codes already warned about
        self._insert_dir = _insert_files_dir(location)

    # -- connections -------------------------------------------------------------
    @contextlib.contextmanager
    def client(self) -> Iterator[Any]:
        try:
            client = self._pool.get_nowait()
        except queue.Empty:
            with self._lock:
                grow = self._created < self._pool_size
                if grow:
                    self._created += 1
            client = _connect(self.location) if grow else self._pool.get()
        try:
            yield client
        finally:
            self._pool.put(client)

    # -- operations --------------------------------------------------------------
    # Driver and server failures become StoreError (HTTP 503 / gRPC UNAVAILABLE, and the
    # ingest path spools); our SQL is parameterised, so they are not the caller's fault.
    def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Any:
        try:
            with self.client() as c:
                return c.command(sql, parameters=dict(parameters or {}))
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"command failed: {exc}") from exc

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[tuple]:
        try:
            with self.client() as c:
                return c.query(sql, parameters=dict(parameters or {})).result_rows
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def query_dicts(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict]:
        try:
            with self.client() as c:
                result = c.query(sql, parameters=dict(parameters or {}))
                names = result.column_names
                return [dict(zip(names, row)) for row in result.result_rows]
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def delete_rows(self, table: str, where: str, parameters: Mapping[str, Any]) -> None:
        """Lightweight ``DELETE`` of a sharded table's rows: masked for readers once it
        returns, dropped by merges. On a cluster it runs on every node's local table
        (a Distributed table takes no DELETE)."""
        physical = table
        if self.schema.cluster:
            physical = table + LOCAL_SUFFIX
            # The DDL queue replays the query's text on every node, without parameters.
            where, parameters = inline_parameters(where, parameters), {}
        sql = f"DELETE FROM {self.schema.db}.`{physical}`{self.schema.on_cluster} WHERE {where}"
        self.command(sql, parameters)

    def purge_deleted(self, table: str) -> None:
        """Start rewriting the parts that hold deleted rows without them (in the background:
        returns at once), so the data leaves the disk before the parts' next merge."""
        physical = table + LOCAL_SUFFIX if self.schema.cluster else table
        self.command(
            f"ALTER TABLE {self.schema.db}.`{physical}`{self.schema.on_cluster}"
            " APPLY DELETED MASK SETTINGS mutations_sync = 0"
        )

    def insert_arrow(
        self, table: str, arrow_table: Any, settings: Mapping[str, Any] | None = None
    ) -> None:
        merged = {**self.insert_settings, **(settings or {})}
        try:
            if self.location.kind == "chdb":
                self._insert_arrow_file(table, arrow_table, merged)
                return
            with self.client() as c:
                c.insert_arrow(f"`{self.database}`.`{table}`", arrow_table, settings=merged)
        except StoreError:
            raise
        except Exception as exc:
            raise self._insert_error(table, exc) from exc

    def _insert_error(self, table: str, exc: Exception) -> StoreError:
        """An insert failure as a StoreError, permanent when the data itself is refused
        (errors.py): the pipeline sets such a batch aside instead of retrying it forever."""
        failure = classify_insert_error(exc)
        if not failure.classified and failure.code not in self._unclassified:
            self._unclassified.add(failure.code)
            logger.warning(
                "insert into %s failed with ClickHouse error code %s, which Spanwise does not "
                "classify: treated as retryable (the data is kept and retried). If it can "
                "never succeed, batches queue behind it; please report it. %s",
                table, failure.code, exc,
            )  # fmt: skip
        kind = "refused for good" if failure.permanent else "failed"
        return StoreError(
            f"insert into {table} {kind} ({failure}): {exc}",
            retryable=not failure.permanent,
            code=failure.code,
        )

    def _insert_arrow_file(self, table: str, arrow_table: Any, settings: Mapping[str, Any]) -> None:
        """chDB reads an insert's data from a file. clickhouse-connect would serialise the
        table into an in-memory IPC buffer and copy it into one Python bytes object before
        writing it, holding the GIL for the copy (~50 MB for a 20k-span insert: ~8% of the
        collector's GIL time under load, py-spy); pyarrow writes the file straight from
        the table's buffers with the GIL released."""
        import tempfile

        import pyarrow as pa
        from clickhouse_connect.driver.binding import format_query_value, quote_identifier

        fd, path = tempfile.mkstemp(
            prefix=_insert_file_prefix(), suffix=".arrow", dir=self._insert_dir
        )
        os.close(fd)
        try:
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, arrow_table.schema) as w:
                w.write_table(arrow_table)
            cols = ", ".join(quote_identifier(n) for n in arrow_table.schema.names)
            clause = ", ".join(f"{k} = {format_query_value(v)}" for k, v in settings.items())
            target = f"{quote_identifier(self.database)}.{quote_identifier(table)}"
            sql = (
                f"INSERT INTO {target} ({cols}) FROM INFILE {format_query_value(path)}"
                + (f" SETTINGS {clause}" if clause else "")
                + " FORMAT Arrow"
            )
            with self.client() as c:
                c.command(sql)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def has_setting(self, name: str) -> bool:
        """Whether the server knows the query setting ``name`` (versions differ)."""
        try:
            with self.client() as c:
                return name in c.server_settings
        except Exception:
            return False

    def insert_rows(
        self, table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str]
    ) -> None:
        try:
            with self.client() as c:
                c.insert(
                    f"`{self.database}`.`{table}`",
                    rows,
                    column_names=list(column_names),
                    settings=self.insert_settings,
                )
        except Exception as exc:
            raise self._insert_error(table, exc) from exc

    # -- schema ------------------------------------------------------------------
    def migrate(self, migrations: Sequence[ddl.Migration] = ddl.MIGRATIONS) -> list[int]:
        """Apply missing migrations in order (see ``migrations`` for the guarantees)."""
        try:
            applied = schema_migrations.apply(self, self.schema, migrations)
            if self.retention is not None:
                schema_migrations.apply_retention(self, self.schema, migrations)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"schema migration failed: {exc}", retryable=False) from exc
        for version in applied:
            logger.info("applied schema migration %d", version)
        return applied

    def close(self) -> None:
        while True:
            try:
                client = self._pool.get_nowait()
            except queue.Empty:
                break
            with contextlib.suppress(Exception):
                client.close()


def create_database(location: StoreLocation, cluster: str | None = None) -> None:
    """``CREATE DATABASE IF NOT EXISTS`` through a client not bound to it."""
    target = SchemaTarget(location.database, cluster)
    client = _connect(location, database="__default__")
    try:
        client.command(f"CREATE DATABASE IF NOT EXISTS {target.db}{target.on_cluster}")
    except Exception as exc:
        raise StoreError(f"cannot create database {location.database}: {exc}") from exc
    finally:
        with contextlib.suppress(Exception):
            client.close()


def open_store(
    value: str | StoreLocation,
    create_schema: bool = True,
    cluster: str | None = None,
    retention: Retention | None = None,
) -> ClickHouseStore:
    location = parse_store(value) if isinstance(value, str) else value
    if create_schema:
        create_database(location, cluster)
    store = ClickHouseStore(location, cluster=cluster, retention=retention)
    if create_schema:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store
