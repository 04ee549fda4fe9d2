"""Render the declared schema for a single node or for a cluster.

Single node: each ``Table`` is one ``CREATE TABLE IF NOT EXISTS`` with its engine.

Cluster (``--cluster NAME``), every statement ``ON CLUSTER NAME``:

* a sharded table ``t`` becomes ``t_local`` on every node with the Replicated
  variant of its engine (``ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/t_local',
  '{replica}', IngestedAt)``) plus a Distributed table named ``t`` over it, sharded by
  ``Table.shard_by`` (``cityHash64(TraceId)``: a trace lives on one shard, so
  ReplacingMergeTree collapses re-deliveries and per-trace aggregates merge
  locally). Readers and writers keep using ``t`` and need no change.
* a table with ``shard_by=None`` (small, e.g. ``schema_migrations``) is one
  replicated copy on every node (one Keeper path for the whole cluster).
* a materialized view reads the source's local table and writes the target's
  local table, so it runs on every shard over the rows inserted there.

Plain-string statements (the template style ``CREATE TABLE IF NOT EXISTS {db}.name
(...) ENGINE = ...``) render as-is on a single node; on a cluster ``ddl_plain``
converts them (CREATE TABLE / MATERIALIZED VIEW / ALTER TABLE) or refuses with a
clear error naming the migration.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import ddl_plain
from .ddl_spec import MaterializedView, Migration, Statement, Table, ViewQuery
from .retention import Retention

__all__ = [
    "RETENTION_COLUMN",
    "Catalog",
    "ClusterDDLError",
    "SchemaTarget",
    "render_migration",
    "render_statement",
    "retention_statements",
]

RETENTION_COLUMN = "RetentionDays"
LOCAL_SUFFIX = "_local"
KEEPER_ROOT = "/clickhouse/tables"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

ClusterDDLError = ddl_plain.ClusterDDLError


@dataclass(frozen=True)
class SchemaTarget:
    """Where and how the DDL is rendered."""

    database: str = "default"
    cluster: str | None = None
    retention: Retention = field(default_factory=Retention)

    def __post_init__(self) -> None:
        for value in (self.database, self.cluster):
            if value is not None and not _NAME.match(value):
                raise ValueError(f"invalid database/cluster name {value!r}")

    @property
    def db(self) -> str:
        return f"`{self.database}`"

    @property
    def on_cluster(self) -> str:
        return f" ON CLUSTER `{self.cluster}`" if self.cluster else ""


class Catalog:
    """Tables declared so far (in migration order): the renderer needs to know whether
    a name is sharded (``t_local`` + Distributed ``t``) when a later statement uses it."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}

    def add(self, table: Table) -> None:
        self.tables[table.name] = table

    def physical(self, name: str, target: SchemaTarget) -> str:
        """The table rows are stored in on each node."""
        table = self.tables.get(name)
        if target.cluster and table is not None and table.shard_by is not None:
            return name + LOCAL_SUFFIX
        return name


def render_migration(migration: Migration, target: SchemaTarget, catalog: Catalog) -> list[str]:
    out: list[str] = []
    for statement in migration.statements:
        try:
            out.extend(render_statement(statement, target, catalog))
        except ClusterDDLError as exc:
            raise ClusterDDLError(f"migration {migration.version}: {exc}") from None
    return out


def render_statement(statement: Statement, target: SchemaTarget, catalog: Catalog) -> list[str]:
    if isinstance(statement, Table):
        catalog.add(statement)
        return _table(statement, target)
    if isinstance(statement, MaterializedView):
        return [_view(statement, target, catalog)]
    if isinstance(statement, ViewQuery):
        view = statement.view
        select = _view_select(view.select, view.source, target, catalog)
        return [f"ALTER TABLE {target.db}.`{view.name}`{target.on_cluster} MODIFY QUERY\n{select}"]
    if not target.cluster:
        table = ddl_plain.try_parse_table(statement)
        if table is not None:
            catalog.add(table)  # so later ALTERs/views on a cluster know it
        return [statement.format(db=target.db).strip()]
    converted = ddl_plain.convert(statement)
    if isinstance(converted, ddl_plain.Alter):
        return _alter(converted, target, catalog)
    return render_statement(converted, target, catalog)


def retention_statements(target: SchemaTarget, catalog: Catalog) -> list[str]:
    """Point the RetentionDays DEFAULT of every table that has one at ``target.retention``."""
    out = []
    expr = target.retention.expression()
    for table in catalog.tables.values():
        if not any(_is_default_column(c) for c in table.columns):
            continue
        names = [catalog.physical(table.name, target)]
        if names[0] != table.name:
            names.append(table.name)  # the Distributed table fills defaults before routing
        out += [
            f"ALTER TABLE {target.db}.`{n}`{target.on_cluster} "
            f"MODIFY COLUMN {RETENTION_COLUMN} DEFAULT {expr}"
            for n in names
        ]
    return out


# -- tables -----------------------------------------------------------------------
def _fmt(text: str, target: SchemaTarget) -> str:
    return text.format(db=target.db, retention=target.retention.expression())


def _table(table: Table, target: SchemaTarget) -> list[str]:
    db = target.db
    if not target.cluster:
        return [_create(table, table.name, table.engine, target)]
    if table.shard_by is None:
        path = f"{KEEPER_ROOT}/all/{target.database}/{table.name}"
        engine = _replicated(table, path, "{shard}-{replica}")
        return [_create(table, table.name, engine, target)]
    local = table.name + LOCAL_SUFFIX
    path = f"{KEEPER_ROOT}/{{shard}}/{target.database}/{local}"
    engine = _replicated(table, path, "{replica}")
    distributed = (
        f"CREATE TABLE IF NOT EXISTS {db}.`{table.name}`{target.on_cluster} AS {db}.`{local}`\n"
        f"ENGINE = Distributed('{target.cluster}', '{target.database}', '{local}', "
        f"{table.shard_by})"
    )
    return [_create(table, local, engine, target), distributed]


def _replicated(table: Table, path: str, replica: str) -> str:
    args = [f"'{path}'", f"'{replica}'"]
    if table.engine_args:
        args.append(table.engine_args)
    return f"Replicated{table.engine_family}({', '.join(args)})"


def _create(table: Table, name: str, engine: str, target: SchemaTarget) -> str:
    body = ",\n".join(
        [f"    {_fmt(c, target)}" for c in table.columns]
        + [f"    INDEX {_fmt(i, target)}" for i in table.indexes]
    )
    lines = [
        f"CREATE TABLE IF NOT EXISTS {target.db}.`{name}`{target.on_cluster} (\n{body}\n)"
        f" ENGINE = {engine}"
    ]
    if table.partition_by:
        lines.append(f"PARTITION BY {_fmt(table.partition_by, target)}")
    if table.primary_key:
        lines.append(f"PRIMARY KEY {_fmt(table.primary_key, target)}")
    lines.append(f"ORDER BY {_fmt(table.order_by, target)}")
    if table.ttl:
        lines.append(f"TTL {_fmt(table.ttl, target)}")
    if table.settings:
        lines.append("SETTINGS " + ", ".join(f"{k} = {v}" for k, v in table.settings.items()))
    return "\n".join(lines)


def _view_select(select: str, source: str, target: SchemaTarget, catalog: Catalog) -> str:
    """A view's SELECT with ``{source}`` as the table rows are stored in on each node."""
    physical = f"{target.db}.`{catalog.physical(source, target)}`"
    select = select.strip().replace("{source}", "{{source}}")
    return _fmt(select, target).replace("{source}", physical)


def _view(view: MaterializedView, target: SchemaTarget, catalog: Catalog) -> str:
    db = target.db
    dest = f"{db}.`{catalog.physical(view.target, target)}`"
    select = _view_select(view.select, view.source, target, catalog)
    return (
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.`{view.name}`{target.on_cluster} "
        f"TO {dest} AS\n{select}"
    )


def _alter(alter: ddl_plain.Alter, target: SchemaTarget, catalog: Catalog) -> list[str]:
    if alter.table not in catalog.tables:
        raise ClusterDDLError(
            f"ALTER TABLE {alter.table}: the table is not declared by an earlier migration"
        )
    names = [catalog.physical(alter.table, target)]
    if names[0] != alter.table and alter.columns_only:
        names.append(alter.table)  # keep the Distributed table's columns in step
    action = _fmt(alter.action, target)
    return [f"ALTER TABLE {target.db}.`{n}`{target.on_cluster} {action}" for n in names]


def _is_default_column(column: str) -> bool:
    parts = column.split()
    return bool(parts) and parts[0].strip("`") == RETENTION_COLUMN and "DEFAULT" in parts


def render_all(
    migrations: Sequence[Migration], target: SchemaTarget
) -> list[tuple[Migration, list[str]]]:
    """Every migration with its rendered statements, in order."""
    catalog = Catalog()
    return [(m, render_migration(m, target, catalog)) for m in migrations]
