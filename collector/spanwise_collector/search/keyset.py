"""Sort keys and keyset paging for searches: ORDER BY text, cursor values, "after" SQL.

The user's order_by items are compiled by the shared filter package (one expression
per item); tie-breakers (TraceId, SpanId) make the order total, so a page starts
strictly after the last row of the previous one and stays stable while rows arrive.
NULLs sort last in both directions, as compile_order_by does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from spanwise_collector.filters import (
    DATETIME,
    DECIMAL,
    INTEGER,
    NUMBER,
    FieldType,
    InvalidPageToken,
    Schema,
    compile_order_by,
    parse_order_by,
)

__all__ = ["OrderKey", "Ordering", "build_ordering"]


@dataclass(frozen=True)
class OrderKey:
    expr: str
    descending: bool
    kind: FieldType | None  # None: a plain String tie-breaker

    @property
    def select(self) -> str:
        """SQL of the JSON-safe cursor value of this key."""
        if self.kind is DATETIME:
            return f"toUnixTimestamp64Nano({self.expr})"
        if self.kind is DECIMAL:
            return f"toString({self.expr})"
        return self.expr

    def bound(self, name: str) -> str:
        """The cursor parameter, converted back to the key's type."""
        if self.kind is DATETIME:
            return f"fromUnixTimestamp64Nano({{{name}:Int64}}, 'UTC')"
        ch_type = {DECIMAL: "Decimal(38, 9)", INTEGER: "Int64", NUMBER: "Float64"}.get(
            self.kind, "String"
        )  # type: ignore[arg-type]
        return f"{{{name}:{ch_type}}}"

    def convert(self, value: Any) -> Any:
        """A cursor value from a token, checked and typed for binding."""
        if value is None:
            return None
        ok = {
            DATETIME: isinstance(value, int) and not isinstance(value, bool),
            INTEGER: isinstance(value, int) and not isinstance(value, bool),
            NUMBER: isinstance(value, int | float) and not isinstance(value, bool),
        }.get(self.kind, isinstance(value, str))  # type: ignore[arg-type]
        if not ok:
            raise InvalidPageToken("invalid page token: not a token this server issued")
        if self.kind is DECIMAL:
            try:
                return Decimal(value)
            except ArithmeticError:
                raise InvalidPageToken("invalid page token: bad decimal") from None
        if self.kind is DATETIME and not -(2**63) <= value < 2**63:
            raise InvalidPageToken("invalid page token: value out of range")
        return value


@dataclass(frozen=True)
class Ordering:
    keys: tuple[OrderKey, ...]
    params: dict[str, object] = field(default_factory=dict)

    @property
    def order_sql(self) -> str:
        return ", ".join(
            f"{k.expr} {'DESC' if k.descending else 'ASC'} NULLS LAST" for k in self.keys
        )

    @property
    def select_sql(self) -> str:
        return ", ".join(f"{k.select} AS _k{i}" for i, k in enumerate(self.keys))

    def cursor_of(self, row: dict[str, Any]) -> list[Any]:
        values = []
        for i, key in enumerate(self.keys):
            value = row[f"_k{i}"]
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, float) and value != value:  # NaN cannot travel in JSON
                value = None
            values.append(int(value) if key.kind is DATETIME and value is not None else value)
        return values

    def after(self, cursor: Sequence[Any]) -> tuple[str, dict[str, object]]:
        """SQL true for rows strictly after `cursor` in this order, with its parameters."""
        if not isinstance(cursor, list) or len(cursor) != len(self.keys):
            raise InvalidPageToken("invalid page token: not a token this server issued")
        params: dict[str, object] = {}
        sql = "0"
        # Built from the last key backwards: after_i = gt_i OR (eq_i AND after_{i+1}).
        for i in range(len(self.keys) - 1, -1, -1):
            key, value = self.keys[i], self.keys[i].convert(cursor[i])
            if value is None:  # NULLs sort last: after a NULL come only NULLs
                gt, eq = "0", f"isNull({key.expr})"
            else:
                name = f"c{i}"
                params[name] = value
                op = "<" if key.descending else ">"
                bound = key.bound(name)
                gt = f"(isNull({key.expr}) OR ifNull({key.expr} {op} {bound}, 0))"
                eq = f"ifNull({key.expr} = {bound}, 0)"
            sql = gt if sql == "0" else f"({gt} OR ({eq} AND {sql}))"
        return sql, params


def build_ordering(
    order_by: Sequence[str] | str | None,
    schema: Schema,
    default: Sequence[str],
    tie_breakers: Sequence[str],
) -> Ordering:
    """Compile `order_by` (or `default`) against `schema`; FilterError on bad items."""
    items = parse_order_by(order_by) or parse_order_by(list(default))
    keys: list[OrderKey] = []
    params: dict[str, object] = {}
    for i, item in enumerate(items):
        compiled = compile_order_by([item], schema, param_prefix=f"o{i}_")
        suffix = f" {'DESC' if item.descending else 'ASC'} NULLS LAST"
        assert compiled.sql.endswith(suffix)
        target = schema.resolve(item.field).item
        keys.append(OrderKey(compiled.sql[: -len(suffix)], item.descending, target.type))
        params.update(compiled.params)
    descending = keys[0].descending
    keys.extend(OrderKey(expr, descending, None) for expr in tie_breakers)
    return Ordering(tuple(keys), params)
