"""OTLP ``AnyValue`` → the string stored in ClickHouse attribute maps."""

from __future__ import annotations

import base64
import json
from typing import Any

MAX_VALUE_CHARS = 64_000
# Per span: attributes beyond this are dropped (first ones kept) and counted in
# ``spanwise.dropped_attributes_count``; likewise events and links per span.
MAX_ATTRIBUTES = 1000
MAX_EVENTS = 1000
MAX_LINKS = 1000
MAX_KEY_CHARS = 256
DROPPED_ATTRIBUTES = "spanwise.dropped_attributes_count"
TRUNCATION_MARKER = "...[truncated {n} chars]"


def cap(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + TRUNCATION_MARKER.format(n=len(text) - limit)


def to_python(value: Any) -> Any:
    """AnyValue → plain Python (for arrays and key/value lists)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "array_value":
        return [to_python(v) for v in value.array_value.values[:MAX_ATTRIBUTES]]
    if kind == "kvlist_value":
        return {kv.key: to_python(kv.value) for kv in value.kvlist_value.values[:MAX_ATTRIBUTES]}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def to_text(value: Any) -> str:
    """AnyValue → text, the way the OTel ClickHouse exporter stores attribute values."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        text = value.string_value
    elif kind == "int_value":
        return str(value.int_value)
    elif kind == "bool_value":
        return "true" if value.bool_value else "false"
    elif kind == "double_value":
        return repr(value.double_value)
    elif kind is None:
        return ""
    else:
        try:
            text = json.dumps(to_python(value), ensure_ascii=False)
        except (RecursionError, ValueError):
            text = "<unrepresentable nested value>"
    return cap(text)


def attributes_to_dict(key_values: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    dropped = 0
    for kv in key_values:
        if len(out) >= MAX_ATTRIBUTES:
            dropped += 1
            continue
        out[cap(kv.key, MAX_KEY_CHARS)] = to_text(kv.value)
    if dropped:
        out[DROPPED_ATTRIBUTES] = str(dropped)
    return out
