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
        "TraceTags": smap, "TraceMetadata": smap,
    }  # fmt: skip
    return pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])


_SCHEMA: Any = None


def arrow_schema() -> Any:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = _arrow_schema()
    return _SCHEMA


@dataclass
class SpanBatch:
    """Column lists, one entry per span. Maps are lists of (key, value) pairs."""

    columns: dict[str, list[Any]] = field(default_factory=lambda: {c: [] for c in COLUMNS})

    def __len__(self) -> int:
        return len(self.columns["SpanId"])

    def extend(self, other: SpanBatch) -> None:
        for name, values in other.columns.items():
            self.columns[name].extend(values)

    def to_arrow(self) -> Any:
        import pyarrow as pa

        schema = arrow_schema()
        arrays = [pa.array(self.columns[f.name], type=f.type) for f in schema]
        return pa.Table.from_arrays(arrays, schema=schema)

    def keys(self) -> list[tuple[str, str]]:
        return list(zip(self.columns["TraceId"], self.columns["SpanId"]))

    def select(self, keep: list[bool]) -> SpanBatch:
        out = SpanBatch()
        for name, values in self.columns.items():
            out.columns[name] = [v for v, k in zip(values, keep) if k]
        return out
