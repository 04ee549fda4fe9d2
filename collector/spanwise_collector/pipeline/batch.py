"""A columnar batch of spans, built straight from OTLP and inserted as Arrow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Column name → Arrow type factory; order is the insert order.
COLUMNS: tuple[str, ...] = (
    "Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind",
    "ServiceName", "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes",
    "Duration", "StatusCode", "StatusMessage", "Events.Timestamp", "Events.Name",
    "Events.Attributes", "Links.TraceId", "Links.SpanId", "Links.TraceState", "Links.Attributes",
    "Project", "SpanType", "Input", "Output", "Model", "Provider", "InputTokens", "OutputTokens",
    "CachedTokens", "CacheWriteTokens", "ReasoningTokens", "Cost", "CostBreakdown", "CostStatus",
    "PricingVersion", "SessionId", "UserId", "RunId", "TraceTags", "TraceMetadata",
    "ParentRemote",
)  # fmt: skip


def _arrow_schema() -> Any:
    import pyarrow as pa

    smap = pa.map_(pa.string(), pa.string())
    ts = pa.timestamp("ns")
    types = {
        "Timestamp": ts, "Duration": pa.uint64(),
        "ResourceAttributes": smap, "SpanAttributes": smap,
        "Events.Timestamp": pa.list_(ts), "Events.Name": pa.list_(pa.string()),
        "Events.Attributes": pa.list_(smap), "Links.TraceId": pa.list_(pa.string()),
        "Links.SpanId": pa.list_(pa.string()), "Links.TraceState": pa.list_(pa.string()),
        "Links.Attributes": pa.list_(smap),
        "InputTokens": pa.uint64(), "OutputTokens": pa.uint64(), "CachedTokens": pa.uint64(),
        "CacheWriteTokens": pa.uint64(), "ReasoningTokens": pa.uint64(),
        "Cost": pa.decimal128(18, 9), "CostBreakdown": pa.map_(pa.string(), pa.decimal128(18, 9)),
        "TraceTags": smap, "TraceMetadata": smap, "ParentRemote": pa.uint8(),
    }  # fmt: skip
    return pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])


_SCHEMA: Any = None

# Columns ``convert`` fills from one tuple per span, in this order.
SCALAR_COLUMNS: tuple[str, ...] = (
    "Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind",
    "ServiceName", "ScopeName", "ScopeVersion", "Duration", "StatusCode", "StatusMessage",
    "Project", "SpanType", "Input", "Output", "Model", "Provider", "InputTokens",
    "OutputTokens", "CachedTokens", "CacheWriteTokens", "ReasoningTokens", "SessionId", "UserId",
    "RunId", "TraceTags", "TraceMetadata", "ParentRemote",
)  # fmt: skip
# Kept apart from ``columns`` (flat, see SpanBatch): the bulk of every span's data.
FLAT_COLUMNS = frozenset({"SpanAttributes", "ResourceAttributes"})


def arrow_schema() -> Any:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = _arrow_schema()
    return _SCHEMA


@dataclass
class SpanBatch:
    """Spans column by column, one entry per span in ``columns`` (maps as sequences of
    (key, value) pairs, except the two big ones). Span attributes are flat — offsets,
    keys, values as a ``MapArray`` takes them — and resource attributes are stored once
    per resource with each span's resource index, so building a batch allocates no
    per-attribute Python objects beyond the strings themselves.
    """

    columns: dict[str, list[Any]] = field(
        default_factory=lambda: {c: [] for c in COLUMNS if c not in FLAT_COLUMNS}
    )
    attributes: tuple[list[int], list[str], list[str]] = field(
        default_factory=lambda: ([0], [], [])
    )
    resources: list[list[tuple[str, str]]] = field(default_factory=list)
    resource_of: list[int] = field(default_factory=list)
    # Columns a processor changed beyond the ones it always fills (its ``writes``), for
    # this batch only: they go back into Arrow too.
    touched: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.columns["SpanId"])

    def extend(self, other: SpanBatch) -> None:
        for name, values in other.columns.items():
            self.columns[name].extend(values)
        offsets, keys, values = self.attributes
        base = len(keys)
        o_offsets, o_keys, o_values = other.attributes
        offsets.extend(base + o for o in o_offsets[1:])
        keys.extend(o_keys)
        values.extend(o_values)
        shift = len(self.resources)
        self.resources.extend(other.resources)
        self.resource_of.extend(shift + r for r in other.resource_of)

    def span_attributes(self, i: int) -> dict[str, str]:
        """Span ``i``'s attributes (for tests and tools; the insert path stays flat)."""
        offsets, keys, values = self.attributes
        return dict(zip(keys[offsets[i] : offsets[i + 1]], values[offsets[i] : offsets[i + 1]]))

    @classmethod
    def over_arrow(cls, table: Any) -> SpanBatch:
        """A batch whose ``columns`` are ``table``'s, made Python lists on first access
        (a processor reads a few of ~40 columns). Timestamps read as ns integers, as
        `convert` makes them."""
        return cls(columns=_ArrowColumns(table))

    def write_back(self, table: Any, names: Any) -> Any:
        """``table`` with the columns ``names`` replaced by this batch's lists (those a
        processor filled; columns never read are unchanged)."""
        import pyarrow as pa

        for name in names:
            if name in self.columns:
                i = table.schema.get_field_index(name)
                field = table.schema.field(i)
                table = table.set_column(i, field, pa.array(self.columns[name], type=field.type))
        return table

    def to_arrow(self) -> Any:
        import pyarrow as pa

        schema = arrow_schema()
        arrays = []
        for f in schema:
            if f.name == "SpanAttributes":
                offsets, keys, values = self.attributes
                arrays.append(pa.MapArray.from_arrays(
                    pa.array(offsets, pa.int32()), pa.array(keys, pa.string()),
                    pa.array(values, pa.string()), type=f.type,
                ))  # fmt: skip
            elif f.name == "ResourceAttributes":
                distinct = pa.array(self.resources, type=f.type)
                arrays.append(distinct.take(pa.array(self.resource_of, pa.int32())))
            else:
                arrays.append(pa.array(self.columns[f.name], type=f.type))
        return pa.Table.from_arrays(arrays, schema=schema)


class _ArrowColumns(dict):
    """Column name → list of values, converted from an Arrow table on first access."""

    def __init__(self, table: Any) -> None:
        super().__init__()
        self._table = table

    def __missing__(self, name: str) -> list[Any]:
        import pyarrow as pa

        column = self._table.column(name)
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.int64())
        values = self[name] = column.to_pylist()
        return values
