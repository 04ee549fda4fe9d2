"""Make a spooled batch from another Spanwise version fit the spans table as it is now.

A spool file outlives the code that wrote it: after an upgrade (and the schema migration
it runs) the spool may hold batches with a column the table no longer has, without one
it gained since, or with a column of another type. Inserting those as they are fails
every time, and replay, strictly in order, would hold every later batch behind them.

Batches made by this code have its schema (batch.py) and pass untouched: one schema
comparison per insert. Any other batch is conformed:

* a column the table lacks and this code does not write (removed since) is dropped,
  logged once per name. A column this code writes but the table lacks is kept: then the
  table is behind the code, every batch fails alike, and the insert is retried until an
  operator migrates it (store/errors.py);
* a column the table has but the batch lacks is left out of the insert, so the store
  fills it as for every insert: the column's DEFAULT expression (evaluated by the
  store, e.g. the retention policy), else the type's empty value (arrays of the right
  length for a Nested part);
* a column of another type than this code writes is cast when no value changes
  (pyarrow's safe cast: no overflow, truncation or unparsable text); otherwise, or
  without the key columns every span needs, the batch cannot fit (`BatchUnfit`) and is
  set aside.
"""

from __future__ import annotations

import logging
from typing import Any

from ..store import ClickHouseStore
from .batch import arrow_schema

__all__ = ["KEY_COLUMNS", "BatchUnfit", "SpanTableFit"]

logger = logging.getLogger("spanwise.collector")

# Read by the writer itself (dedup.py, stored_traces.py); a span is nothing without them.
KEY_COLUMNS: tuple[str, ...] = ("TraceId", "SpanId", "Timestamp")

# Columns an insert can name: MATERIALIZED and ALIAS columns are computed by the store.
_COLUMNS_SQL = (
    "SELECT name FROM system.columns WHERE database = {db:String} AND table = {table:String} "
    "AND default_kind NOT IN ('MATERIALIZED', 'ALIAS')"
)


class BatchUnfit(ValueError):
    """The batch cannot be made to fit the table without changing its data."""


class SpanTableFit:
    """Conforms batches to one table of ``store``; its columns are read on the first
    batch that needs them and kept until `forget` (the table changed or may have)."""

    def __init__(self, store: ClickHouseStore, table: str) -> None:
        self.store = store
        self.table = table
        self._columns: frozenset[str] | None = None
        self._dropped: set[str] = set()  # column names already logged

    def __call__(self, batch: Any) -> Any:
        """``batch`` ready to insert into the table. Raises `BatchUnfit`, or StoreError
        when the table's columns cannot be read."""
        if batch.schema.equals(arrow_schema()):  # made by this code: the hot path
            return batch
        return self._conform(batch)

    def forget(self) -> None:
        """Read the table's columns again next time (after a migration or a failure)."""
        self._columns = None

    def _table_columns(self) -> frozenset[str]:
        if self._columns is None:
            rows = self.store.query(_COLUMNS_SQL, {"db": self.store.database, "table": self.table})
            self._columns = frozenset(row[0] for row in rows)
        return self._columns

    def _conform(self, batch: Any) -> Any:
        lacking = [name for name in KEY_COLUMNS if name not in batch.column_names]
        if lacking:
            raise BatchUnfit(f"it lacks the column(s) {', '.join(lacking)} every span needs")
        code = arrow_schema()
        table_columns = self._table_columns()
        gone = [n for n in batch.column_names if n not in table_columns and n not in code.names]
        if gone:
            self._log_dropped(gone)
            batch = batch.drop_columns(gone)
        for i, field in enumerate(batch.schema):
            if field.name in code.names:
                target = code.field(field.name).type
                if field.type != target:
                    batch = batch.set_column(i, field.name, _cast(batch.column(i), field, target))
        return batch

    def _log_dropped(self, names: list[str]) -> None:
        new = [name for name in names if name not in self._dropped]
        if new:
            self._dropped.update(new)
            logger.warning(
                "spooled batches from another Spanwise version have column(s) %s, which "
                "table %s no longer has: dropped from those batches (logged once per column)",
                ", ".join(new), self.table,
            )  # fmt: skip


def _cast(column: Any, field: Any, target: Any) -> Any:
    """``column`` as ``target`` if no value changes on the way; else `BatchUnfit`."""
    import pyarrow as pa

    try:
        return column.cast(target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise BatchUnfit(
            f"its column {field.name} is {field.type}, which does not convert to {target} "
            f"(the table's type) without changing values: {exc}"
        ) from exc
