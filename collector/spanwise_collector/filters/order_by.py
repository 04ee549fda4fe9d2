"""`order_by` items such as ["metrics.rmse ASC", "attributes.start_time DESC"]."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from spanwise_collector.filters.ast import FieldRef
from spanwise_collector.filters.errors import FilterError
from spanwise_collector.filters.lexer import TokenKind
from spanwise_collector.filters.parser import parse_field
from spanwise_collector.filters.schema import Field, Prefix, Schema, Text

__all__ = ["MAX_ORDER_BY", "CompiledOrderBy", "OrderItem", "compile_order_by", "parse_order_by"]

#: Most order_by items accepted.
MAX_ORDER_BY = 10


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool = False

    def __str__(self) -> str:
        return f"{self.field} {'DESC' if self.descending else 'ASC'}"


@dataclass(frozen=True)
class CompiledOrderBy:
    """`sql` is the text after ORDER BY ("" when there are no items); bind `params` too
    (map keys such as the "rmse" of metrics.rmse are parameters)."""

    sql: str
    params: dict[str, object] = field(default_factory=dict)


def parse_order_by(items: Sequence[str] | str | None) -> list[OrderItem]:
    """Parse order_by strings; each is a field name optionally followed by ASC or DESC."""
    if items is None:
        return []
    if isinstance(items, str):
        items = [items]
    if len(items) > MAX_ORDER_BY:
        raise FilterError(f"order_by has {len(items)} items; the limit is {MAX_ORDER_BY}")
    parsed = []
    for index, text in enumerate(items):
        try:
            parsed.append(_parse_item(text))
        except FilterError as err:
            raise FilterError(
                f"order_by item {index} ({text!r}): {err}", None, err.expected
            ) from None
    return parsed


def _parse_item(text: str) -> OrderItem:
    if not isinstance(text, str):
        raise FilterError(f"expected a string, not {type(text).__name__}")
    ref, rest = parse_field(text)
    descending = False
    if rest[0].is_keyword("ASC", "DESC"):
        descending = rest[0].value == "DESC"
        rest = rest[1:]
    if rest[0].kind is not TokenKind.EOF:
        raise FilterError(
            f"expected ASC, DESC or end of input but found {rest[0].text!r}",
            rest[0].position,
            ("ASC", "DESC", "end of input"),
        )
    return OrderItem(ref, descending)


def compile_order_by(
    items: Sequence[str | OrderItem] | str | None, schema: Schema, *, param_prefix: str = "o"
) -> CompiledOrderBy:
    """Compile order_by items against `schema`: only its sortable fields and map keys.

    Rows lacking the value (NULL, or a missing map key) sort last in both directions.
    Append your own unique tie-breaker (e.g. the id) for stable paging.
    """
    if isinstance(items, str):
        items = [items]
    parsed = [i if isinstance(i, OrderItem) else parse_order_by([i])[0] for i in items or ()]
    if len(parsed) > MAX_ORDER_BY:
        raise FilterError(f"order_by has {len(parsed)} items; the limit is {MAX_ORDER_BY}")
    params: dict[str, object] = {}
    parts = []
    for item in parsed:
        resolved = schema.resolve(item.field)
        target = resolved.item
        if isinstance(target, Text) or target.wrap is not None or not target.sortable:
            raise FilterError(f"cannot order by {item.field.name}", item.field.position)
        if isinstance(target, Field):
            expr = target.sql
        else:
            assert isinstance(target, Prefix)
            name = f"{param_prefix}{len(params)}"
            params[name] = resolved.key
            key = f"{{{name}:String}}"
            expr = target.sql_template.replace("{key}", key)
            if target.presence:
                # A missing key reads as 0 / '' from a Map; make it NULL so it sorts last.
                expr = f"if({target.presence.replace('{key}', key)}, {expr}, NULL)"
        parts.append(f"{expr} {'DESC' if item.descending else 'ASC'} NULLS LAST")
    return CompiledOrderBy(", ".join(parts), params)
