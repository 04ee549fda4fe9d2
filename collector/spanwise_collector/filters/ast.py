"""Typed syntax tree of a filter, and its canonical rendering back to filter text.

Positions (`position` fields) point into the source text for error messages; they do
not take part in equality, so a rendered-and-reparsed tree equals the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from spanwise_collector.filters.lexer import KEYWORDS

__all__ = [
    "COMPARATORS",
    "And",
    "Comparison",
    "FieldRef",
    "InList",
    "IsNull",
    "Node",
    "Not",
    "Or",
    "Value",
    "to_filter_string",
]

Value = str | int | Decimal

#: Binary comparators a Comparison may hold.
COMPARATORS = ("=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE")

_BARE_FIRST = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE_PART = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class FieldRef:
    """`prefix.key` as written: `key` is the last name part, `prefix` the parts before it.

    ``span.attributes.`gen_ai.request.model` `` -> prefix "span.attributes", key
    "gen_ai.request.model"; `trace.cost` -> prefix "trace", key "cost". The schema
    decides what the name means (see Schema.resolve).
    """

    prefix: str
    key: str
    raw: str = field(default="", compare=False, repr=False)
    position: int | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.prefix}.{self.key}" if self.prefix else self.key

    def __str__(self) -> str:
        key = self.key
        if self.prefix:
            bare = _BARE_PART.fullmatch(key) is not None
            return f"{self.prefix}.{key if bare else _backquote(key)}"
        bare = _BARE_FIRST.fullmatch(key) is not None and key.upper() not in KEYWORDS
        return key if bare else _backquote(key)


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str  # one of COMPARATORS
    value: Value
    position: int | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return to_filter_string(self)


@dataclass(frozen=True)
class InList:
    field: FieldRef
    values: tuple[Value, ...]
    negated: bool = False
    position: int | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return to_filter_string(self)


@dataclass(frozen=True)
class IsNull:
    field: FieldRef
    negated: bool = False  # IS NOT NULL
    position: int | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return to_filter_string(self)


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return to_filter_string(self)


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return to_filter_string(self)


@dataclass(frozen=True)
class Not:
    item: Node

    def __str__(self) -> str:
        return to_filter_string(self)


Node = Comparison | InList | IsNull | And | Or | Not


def to_filter_string(node: Node) -> str:
    """Canonical filter text for `node`; parsing it yields an equal tree."""
    if isinstance(node, Comparison):
        return f"{node.field} {node.op} {_render_value(node.value)}"
    if isinstance(node, InList):
        values = ", ".join(_render_value(v) for v in node.values)
        return f"{node.field} {'NOT IN' if node.negated else 'IN'} ({values})"
    if isinstance(node, IsNull):
        return f"{node.field} IS {'NOT NULL' if node.negated else 'NULL'}"
    if isinstance(node, Not):
        inner = node.item
        text = to_filter_string(inner)
        return f"NOT ({text})" if isinstance(inner, (And, Or)) else f"NOT {text}"
    if isinstance(node, And):
        # Nested And/Or keep their parentheses so the tree shape survives a round trip.
        return " AND ".join(_group(i, (And, Or)) for i in node.items)
    if isinstance(node, Or):
        return " OR ".join(_group(i, (Or,)) for i in node.items)
    raise TypeError(f"not a filter node: {node!r}")


def _group(node: Node, needs_parens: tuple[type, ...]) -> str:
    text = to_filter_string(node)
    return f"({text})" if isinstance(node, needs_parens) else text


def _render_value(value: Value) -> str:
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        return f"'{escaped.replace(chr(0), chr(92) + '0')}'"
    if isinstance(value, bool):
        raise TypeError("booleans are not filter values")
    if isinstance(value, Decimal):
        # Decimal('1E+2') parses back as Decimal; keep a form the lexer reads as one.
        text = str(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    return str(value)


def _backquote(key: str) -> str:
    return "`" + key.replace("\\", "\\\\").replace("`", "\\`") + "`"
