"""AST -> ClickHouse WHERE fragment with server-side parameters.

Every value and map key becomes a `{pN:Type}` placeholder with its value in `params`;
only SQL from the Schema and fixed keywords appear literally. Every predicate compiles
to a two-valued boolean (never NULL), so NOT is always the exact complement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spanwise_collector.filters import _values as values
from spanwise_collector.filters.ast import (
    COMPARATORS,
    And,
    Comparison,
    InList,
    IsNull,
    Node,
    Not,
    Or,
    Value,
)
from spanwise_collector.filters.errors import FilterError
from spanwise_collector.filters.parser import MAX_DEPTH, MAX_IN_LIST, parse_filter
from spanwise_collector.filters.schema import (
    DATETIME,
    DECIMAL,
    ENUM,
    INTEGER,
    NUMBER,
    STRING,
    Field,
    FieldType,
    Prefix,
    Schema,
    Text,
)

__all__ = ["CompiledFilter", "compile_filter"]

_ORDERING = ("=", "!=", "<", "<=", ">", ">=")
_LIKES = ("LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE")
_DATETIME_SQL = "DateTime64(9, 'UTC')"
_DECIMAL_SQL = "Decimal(38, 9)"


@dataclass(frozen=True)
class CompiledFilter:
    """`sql` is a boolean expression for a WHERE clause; pass `params` to the query."""

    sql: str
    params: dict[str, object] = field(default_factory=dict)


def compile_filter(
    filter: str | Node | None, schema: Schema, *, param_prefix: str = "p"
) -> CompiledFilter:
    """Parse (if text) and compile a filter against `schema`. Raises FilterError.

    An empty filter compiles to "1" (match all). Use a distinct `param_prefix` per
    fragment when one query combines several compiled pieces.
    """
    node = parse_filter(filter) if isinstance(filter, str) else filter
    if node is None:
        return CompiledFilter("1", {})
    compiler = _Compiler(schema, param_prefix)
    sql, wrap = compiler.node(node, depth=0)
    return CompiledFilter(_apply_wrap(sql, wrap), compiler.params)


def _apply_wrap(sql: str, wrap: str | None) -> str:
    return sql if wrap is None else f"({wrap.replace('{pred}', sql)})"


class _Compiler:
    def __init__(self, schema: Schema, prefix: str) -> None:
        if not prefix.isidentifier():
            raise ValueError(f"param_prefix must be an identifier, not {prefix!r}")
        self.schema = schema
        self.prefix = prefix
        self.params: dict[str, object] = {}

    def bind(self, value: object, ch_type: str) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f"{{{name}:{ch_type}}}"

    # -- boolean structure: returns (sql, wrap template still to apply or None) -----------
    def node(self, node: Node, depth: int) -> tuple[str, str | None]:
        if depth > 2 * MAX_DEPTH:  # ASTs built in code skip the parser's limits
            raise FilterError(f"filter is nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(node, Not):
            sql, wrap = self.node(node.item, depth + 1)
            return f"(NOT {_apply_wrap(sql, wrap)})", None
        if isinstance(node, (And, Or)):
            return self.junction(node, depth)
        if isinstance(node, (Comparison, InList, IsNull)):
            return self.leaf(node)
        raise FilterError(f"not a filter node: {type(node).__name__}")

    def junction(self, node: And | Or, depth: int) -> tuple[str, str | None]:
        if not node.items:
            raise FilterError(f"empty {type(node).__name__}")
        joiner = " AND " if isinstance(node, And) else " OR "
        # Children sharing a wrap compile into ONE subquery: `span.model = 'x' AND
        # span.cost > 1` means one span matching both (and for OR it is just cheaper).
        groups: dict[str | None, list[str]] = {}
        order: list[str | None] = []
        for item in node.items:
            sql, wrap = self.node(item, depth + 1)
            if wrap not in groups:
                groups[wrap] = []
                order.append(wrap)
            groups[wrap].append(sql)
        if len(order) == 1:
            return _join(groups[order[0]], joiner), order[0]
        parts: list[str] = []
        for wrap in order:
            if wrap is None:
                parts.extend(groups[None])
            else:
                parts.append(_apply_wrap(_join(groups[wrap], joiner), wrap))
        return _join(parts, joiner), None

    # -- predicates ---------------------------------------------------------------------
    def leaf(self, node: Comparison | InList | IsNull) -> tuple[str, str | None]:
        if isinstance(node, Comparison) and node.op not in COMPARATORS:
            # ASTs built in code skip the parser: never let an unknown operator into SQL.
            raise FilterError(f"unknown comparator {node.op!r}", node.position, COMPARATORS)
        resolved = self.schema.resolve(node.field)
        item, name = resolved.item, node.field.name
        if isinstance(item, Text):
            return self.text(item, node, name), item.wrap
        if isinstance(item, Field):
            expr, presence = _sql(item.sql), None
            if item.nullable:
                presence = f"isNotNull({expr})"
        else:
            key = self.bind(resolved.key, "String")
            expr = _sql(item.sql_template.replace("{key}", key))
            presence = item.presence.replace("{key}", key) if item.presence else None
            if presence is None:
                presence = f"isNotNull({expr})"
        if isinstance(node, IsNull):
            if presence is None:  # a non-nullable column is never NULL
                return ("0" if not node.negated else "1"), item.wrap
            if node.negated:
                return f"({presence})", item.wrap
            if isinstance(item, Prefix) and item.missing_outside_wrap and item.wrap:
                return f"(NOT {_apply_wrap(f'({presence})', item.wrap)})", None
            return f"(NOT {presence})", item.wrap
        pred = self.typed(item, expr, node, name)
        # MLflow semantics: a missing key / NULL value satisfies no comparison, not even !=.
        sql = f"({presence} AND {pred})" if presence else pred
        return sql, item.wrap

    def typed(self, item: Field | Prefix, expr: str, node: Comparison | InList, name: str) -> str:
        kind = item.type
        op = node.op if isinstance(node, Comparison) else ("NOT IN" if node.negated else "IN")
        given = (node.value,) if isinstance(node, Comparison) else node.values
        where = node.position
        if not given:
            raise FilterError("IN list is empty", where, ("a value",))
        if len(given) > MAX_IN_LIST:
            raise FilterError(f"IN list has more than {MAX_IN_LIST} values", where)
        if op in _LIKES:
            if kind is not STRING:
                raise _bad_op(op, name, kind, where)
            return f"{expr} {op} {self.bind(_like_pattern(node.value, where), 'String')}"
        if kind is STRING:
            if all(isinstance(v, str) for v in given):
                return self.compare(expr, op, "String", list(given))
            if not all(values.is_number(v) for v in given):
                raise FilterError(f"IN list for {name} mixes strings and numbers", where)
            # String values compared as numbers (params.max_depth > 5): non-numbers never match.
            nums = [values.to_float(v, where, name) for v in given]
            return f"ifNull({self.compare(f'toFloat64OrNull({expr})', op, 'Float64', nums)}, 0)"
        if kind is ENUM:
            assert isinstance(item, Field)
            if op not in ("=", "!=", "IN", "NOT IN"):
                raise _bad_op(op, name, kind, where)
            return self.compare(expr, op, "String", [self.enum(item, v, where) for v in given])
        if kind is DATETIME:
            stamps = [values.to_datetime(v, where, name) for v in given]
            return self.compare(expr, op, _DATETIME_SQL, stamps)
        if kind is DECIMAL:
            nums = [values.to_decimal(v, where, name) for v in given]
            if op in ("IN", "NOT IN"):
                # IN converts the list to the column's type (Cost is Decimal(18, 9)): a
                # value beyond it overflowed into a server error; compare at 38 digits.
                expr = f"CAST({expr} AS Nullable({_DECIMAL_SQL}))"
            return self.compare(expr, op, _DECIMAL_SQL, nums)
        if kind is INTEGER:
            ints = [values.to_int(v, where, name) for v in given]
            if all(i is not None for i in ints):
                return self.compare(expr, op, "Int64", ints)
        if kind in (INTEGER, NUMBER):
            nums = [values.to_float(v, where, name) for v in given]
            return self.compare(expr, op, "Float64", nums)
        raise FilterError(f"unsupported field type {kind} for {name}", where)  # pragma: no cover

    def compare(self, expr: str, op: str, ch_type: str, converted: list) -> str:
        if op in ("IN", "NOT IN"):
            return f"{expr} {op} {self.bind(converted, f'Array({ch_type})')}"
        return f"{expr} {op} {self.bind(converted[0], ch_type)}"

    def enum(self, item: Field, value: Value, where: int | None) -> str:
        stored = item.enum_value(value) if isinstance(value, str) else None
        if stored is None:
            allowed = tuple(user for user, _ in item.values)
            raise FilterError(
                f"{item.name} must be one of {', '.join(allowed)}; got {value!r}", where, allowed
            )
        return stored

    def text(self, item: Text, node: Comparison | InList | IsNull, name: str) -> str:
        if not isinstance(node, Comparison) or node.op not in ("=", "!=", *_LIKES):
            op = node.op if isinstance(node, Comparison) else type(node).__name__
            raise FilterError(
                f"{name} supports =, !=, LIKE, ILIKE, NOT LIKE, NOT ILIKE (got {op})",
                node.position,
                ("=", "!=", "LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"),
            )
        if not isinstance(node.value, str):
            raise FilterError(f"{name} needs a 'quoted string'", node.position, ("a string",))
        value = node.value if node.op in ("=", "!=") else _like_pattern(node.value, node.position)
        placeholder = self.bind(value, "String")
        if node.op in ("=", "!="):
            checks = [
                item.template.replace("{column}", c).replace("{value}", placeholder)
                for c in item.columns
            ]
        else:
            positive = node.op.removeprefix("NOT ")
            checks = [f"{_sql(c)} {positive} {placeholder}" for c in item.columns]
        # ifNull: a NULL column counts as "does not contain", keeping NOT exact.
        anywhere = _join([f"ifNull({c}, 0)" for c in checks], " OR ")
        return f"(NOT {anywhere})" if node.op.startswith(("NOT", "!=")) else anywhere


def _like_pattern(pattern: Value, where: int | None) -> str:
    """LIKE patterns use backslash to escape % and _; ClickHouse refuses a trailing one."""
    if not isinstance(pattern, str):
        raise FilterError("LIKE needs a 'quoted' pattern", where, ("a string",))
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            if i + 1 == len(pattern):
                raise FilterError(
                    "LIKE pattern ends with an escape backslash; write \\\\ for a literal one",
                    where,
                )
            i += 1
        i += 1
    return pattern


def _join(parts: list[str], joiner: str) -> str:
    return parts[0] if len(parts) == 1 else f"({joiner.join(parts)})"


def _sql(expr: str) -> str:
    # Parenthesise composite schema expressions so operator precedence cannot leak.
    return expr if expr.replace("_", "").replace(".", "").isalnum() else f"({expr})"


def _bad_op(op: str, name: str, kind: FieldType, where: int | None) -> FilterError:
    allowed = {
        STRING: "=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL",
        ENUM: "=, !=, IN, NOT IN",
    }.get(kind, "=, !=, <, <=, >, >=, IN, NOT IN, IS NULL")
    return FilterError(f"{op} is not allowed on {name} ({kind.value}); use {allowed}", where)
