"""What a search may filter and sort on: the caller's fields, mapped to ClickHouse SQL.

Each search (traces, spans, runs) declares a Schema. Only the SQL written here ever
appears literally in a compiled query; user values and map keys become parameters.

    Schema(
        Field("trace.cost", sql="TotalCost", type=DECIMAL, nullable=True),
        Field("trace.status", sql="Status", type=ENUM, values={"OK": "Ok", "ERROR": "Error"}),
        Prefix("tags", sql_template="Tags[{key}]", presence="mapContains(Tags, {key})"),
        Text("trace.text", columns=("Input", "Output")),
    )

`wrap` (optional on every entry) is a template with `{pred}`, for predicates that live
in another table, e.g. span fields in a trace search:
    "TraceId IN (SELECT TraceId FROM spans WHERE {pred})"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from spanwise_collector.filters.ast import FieldRef
from spanwise_collector.filters.errors import FilterError

__all__ = [
    "DATETIME",
    "DECIMAL",
    "ENUM",
    "INTEGER",
    "NUMBER",
    "STRING",
    "Field",
    "FieldType",
    "Prefix",
    "Schema",
    "SchemaItem",
    "Text",
]


class FieldType(Enum):
    STRING = "string"  # any String expression; numeric values compare via toFloat64OrNull
    NUMBER = "number"  # Float64-like
    INTEGER = "integer"  # Int/UInt columns
    DECIMAL = "decimal"  # money: compared as Decimal(38, 9), never as float
    DATETIME = "datetime"  # DateTime64 expression; values are ISO-8601 strings or epoch ms
    ENUM = "enum"  # a string with a closed set of allowed values


STRING = FieldType.STRING
NUMBER = FieldType.NUMBER
INTEGER = FieldType.INTEGER
DECIMAL = FieldType.DECIMAL
DATETIME = FieldType.DATETIME
ENUM = FieldType.ENUM


@dataclass(frozen=True)
class Field:
    """A scalar field: `name` (e.g. "trace.cost") compiled as the SQL expression `sql`.

    For ENUM, `values` lists the allowed values, or maps each user-facing value to the
    stored one ({"ERROR": "STATUS_CODE_ERROR"}); matching is case-insensitive.
    `nullable`: the expression may be NULL; comparisons are then false on NULL (also
    `!=`), and NOT is their exact complement.
    """

    name: str
    sql: str
    type: FieldType = STRING
    values: Mapping[str, str] | Iterable[str] | tuple[tuple[str, str], ...] = ()
    nullable: bool = False
    wrap: str | None = None
    aliases: tuple[str, ...] = ()
    sortable: bool = True

    def __post_init__(self) -> None:
        values = self.values
        if isinstance(values, Mapping):
            pairs = tuple((str(k), str(v)) for k, v in values.items())
        else:
            pairs = tuple(v if isinstance(v, tuple) else (str(v), str(v)) for v in values)
        object.__setattr__(self, "values", pairs)
        object.__setattr__(self, "aliases", tuple(self.aliases))
        if self.type is ENUM and not pairs:
            raise ValueError(f"ENUM field {self.name} needs its allowed values")
        _check_wrap(self.wrap)

    def enum_value(self, given: str) -> str | None:
        """The stored value for user value `given` (case-insensitive), or None."""
        folded = given.casefold()
        return next((stored for user, stored in self.values if user.casefold() == folded), None)


@dataclass(frozen=True)
class Prefix:
    """A family of keyed fields: `tags.<key>`, `metrics.<key>`, `span.attributes.<key>`.

    `sql_template` and `presence` contain `{key}`, which becomes a bound String
    parameter. `presence` says whether the key exists; comparisons on a missing key are
    false (including `!=` and NOT IN, as in MLflow), `IS NULL` means "key missing".
    `type` is STRING for Map(String, String) values (numbers compare through
    toFloat64OrNull) or NUMBER/INTEGER/DECIMAL/DATETIME for typed maps.
    `missing_outside_wrap`: the wrap's subquery has one row per outer row that has any
    key at all (a trace's feedback map), so "key missing" is `NOT (wrap with presence)`:
    an outer row with no inner row is missing every key.
    """

    name: str
    sql_template: str
    presence: str | None = None
    type: FieldType = STRING
    wrap: str | None = None
    aliases: tuple[str, ...] = ()
    sortable: bool = True
    missing_outside_wrap: bool = False

    def __post_init__(self) -> None:
        if "{key}" not in self.sql_template:
            raise ValueError(f"Prefix {self.name}: sql_template must contain {{key}}")
        if self.presence is not None and "{key}" not in self.presence:
            raise ValueError(f"Prefix {self.name}: presence must contain {{key}}")
        if self.type is ENUM:
            raise ValueError("Prefix fields cannot be ENUM")
        object.__setattr__(self, "aliases", tuple(self.aliases))
        _check_wrap(self.wrap)


@dataclass(frozen=True)
class Text:
    """Case-insensitive substring search over `columns` (any column may match).

    `field = 'refund'` -> some column contains "refund" (any case); `!=` -> none does;
    LIKE/ILIKE -> some column matches the pattern; NOT LIKE/NOT ILIKE -> none does.
    `template` receives `{column}` (schema SQL) and `{value}` (the bound parameter).
    """

    name: str
    columns: tuple[str, ...]
    template: str = "positionCaseInsensitiveUTF8({column}, {value}) > 0"
    wrap: str | None = None
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "aliases", tuple(self.aliases))
        if not self.columns:
            raise ValueError(f"Text field {self.name} needs at least one column")
        if "{column}" not in self.template or "{value}" not in self.template:
            raise ValueError("Text template must contain {column} and {value}")
        _check_wrap(self.wrap)


SchemaItem = Field | Prefix | Text


@dataclass(frozen=True)
class Resolved:
    item: SchemaItem
    key: str | None  # the map key for Prefix items


@dataclass(frozen=True)
class Schema:
    items: tuple[SchemaItem, ...]
    _names: dict[str, Field | Text] = field(init=False, repr=False, compare=False)
    _prefixes: dict[str, Prefix] = field(init=False, repr=False, compare=False)

    def __init__(self, *items: SchemaItem) -> None:
        object.__setattr__(self, "items", tuple(items))
        names: dict[str, Field | Text] = {}
        prefixes: dict[str, Prefix] = {}
        for item in items:
            table: dict = prefixes if isinstance(item, Prefix) else names
            for name in (item.name, *item.aliases):
                if name in names or name in prefixes:
                    raise ValueError(f"schema names {name!r} twice")
                table[name] = item
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_prefixes", prefixes)

    def allowed(self) -> list[str]:
        """User-facing names, e.g. ["trace.cost", "tags.<key>"], for help and errors."""
        return sorted(self._names) + sorted(f"{p}.<key>" for p in self._prefixes)

    def resolve(self, ref: FieldRef) -> Resolved:
        """Find what `ref` names; FilterError listing the allowed names if nothing."""
        scalar = self._names.get(ref.name)
        if scalar is not None:
            return Resolved(scalar, None)
        prefix = self._prefixes.get(ref.prefix)
        if prefix is not None:
            return Resolved(prefix, ref.key)
        # Unquoted dotted keys, MLflow style: tags.mlflow.runName -> key "mlflow.runName".
        for name in sorted(self._prefixes, key=len, reverse=True):
            if ref.prefix.startswith(name + "."):
                key = f"{ref.prefix[len(name) + 1 :]}.{ref.key}"
                return Resolved(self._prefixes[name], key)
        raise FilterError(
            f"unknown field {ref.name!r}; allowed: {', '.join(self.allowed())}",
            ref.position,
            tuple(self.allowed()),
        )


def _check_wrap(wrap: str | None) -> None:
    if wrap is not None and "{pred}" not in wrap:
        raise ValueError("wrap template must contain {pred}")
