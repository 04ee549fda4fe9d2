"""Declarative schema objects: a table or materialized view declared once, rendered twice.

``ddl_render`` turns these into single-node DDL (chDB or one server) or cluster
DDL (``ON CLUSTER``, Replicated* local tables, Distributed tables). Text fields
may use ``{db}`` for the (quoted) database name; ``{{``/``}}`` for literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Union

__all__ = [
    "TRACE_SHARDING",
    "MaterializedView",
    "Migration",
    "Statement",
    "Table",
    "ViewQuery",
]

# A trace lives on one shard: its spans, its summary rows, its re-deliveries.
TRACE_SHARDING = "cityHash64(TraceId)"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENGINE = re.compile(r"^(\w*MergeTree)\s*(?:\((.*)\))?$", re.S)


@dataclass(frozen=True)
class Table:
    """One MergeTree-family table.

    ``engine`` is the single-node engine, e.g. ``"ReplacingMergeTree(IngestedAt)"``;
    on a cluster it becomes ``ReplicatedReplacingMergeTree(path, replica, IngestedAt)``.
    ``shard_by`` is the sharding expression of the Distributed table on a cluster;
    ``None`` means "small table, one full replicated copy on every node, no
    Distributed table" (e.g. ``schema_migrations``).
    """

    name: str
    columns: tuple[str, ...]
    engine: str
    order_by: str
    partition_by: str | None = None
    primary_key: str | None = None
    indexes: tuple[str, ...] = ()
    ttl: str | None = None
    settings: Mapping[str, str | int] = field(default_factory=dict)
    shard_by: str | None = TRACE_SHARDING

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"invalid table name {self.name!r}")
        if not _ENGINE.match(self.engine):
            raise ValueError(f"table {self.name}: engine must be a *MergeTree, got {self.engine!r}")
        if not self.columns:
            raise ValueError(f"table {self.name}: no columns")

    @property
    def engine_family(self) -> str:
        return _engine_parts(self.engine)[0]

    @property
    def engine_args(self) -> str:
        return _engine_parts(self.engine)[1]

    def column_names(self) -> list[str]:
        return [c.split(None, 1)[0].strip("`") for c in self.columns]


@dataclass(frozen=True)
class MaterializedView:
    """``CREATE MATERIALIZED VIEW name TO target AS select``.

    ``select`` names its source table as ``{source}``; on a cluster the view reads
    the source's local table and writes the target's local table on every shard,
    so it only ever sees (and aggregates) rows of the shard it runs on.
    """

    name: str
    target: str
    source: str
    select: str

    def __post_init__(self) -> None:
        for value in (self.name, self.target, self.source):
            if not _NAME.match(value):
                raise ValueError(f"invalid name {value!r} in materialized view")
        if "{source}" not in self.select:
            raise ValueError(f"materialized view {self.name}: select must read FROM {{source}}")


@dataclass(frozen=True)
class ViewQuery:
    """``ALTER TABLE name MODIFY QUERY select``: ``view``, already created, gets its new
    SELECT. Idempotent; its target's new columns must be added first."""

    view: MaterializedView


Statement = Union[str, Table, MaterializedView, ViewQuery]  # noqa: UP007 (runtime alias on 3.10)


@dataclass(frozen=True)
class Migration:
    """One schema version. Statements run in order and must be idempotent
    (``IF NOT EXISTS`` / ``IF EXISTS``): two collectors may run them at once."""

    version: int
    description: str
    statements: tuple[Statement, ...]
    # Data statements (``INSERT … SELECT``) run after the DDL, before the version is
    # recorded; not idempotent, so their readers must tolerate a repeat (e.g. take max).
    # Rendered as-is (``{db}``) on a single node and a cluster: name logical tables only.
    record: tuple[str, ...] = ()


def _engine_parts(engine: str) -> tuple[str, str]:
    match = _ENGINE.match(engine.strip())
    if not match:
        raise ValueError(f"not a MergeTree engine: {engine!r}")
    return match.group(1), (match.group(2) or "").strip()
