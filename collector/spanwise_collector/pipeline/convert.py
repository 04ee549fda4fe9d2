"""OTLP ``ExportTraceServiceRequest`` → ``SpanBatch`` (flattened, normalised).

Bad values never raise here: ids of the wrong length make the request invalid
(``InvalidSpans``), everything else is coerced by a clear rule (docs/reliability.md):

* start time 0 or outside [2000-01-01, now + 1 year] → the receive time;
* end before start, or more than MAX_DURATION_NS after it → duration 0;
* event times outside the valid window → the span's start;
* strings and attribute values over their caps → truncated with a marker;
* more than MAX_ATTRIBUTES attributes / MAX_EVENTS events / MAX_LINKS links →
  the first ones kept, the number dropped recorded;
* unknown or nested attribute types → text (JSON);
* negative or absurd token counts → 0 (normalize.py).
"""

from __future__ import annotations

import time
from typing import Any

from .batch import SCALAR_COLUMNS, SpanBatch
from .normalize import derive_row
from .otlp_values import (
    MAX_ATTRIBUTES,
    MAX_EVENTS,
    MAX_KEY_CHARS,
    MAX_LINKS,
    MAX_VALUE_CHARS,
    attributes_to_dict,
    cap,
    to_text,
)  # fmt: skip

_KIND = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
_STATUS = ("Unset", "Ok", "Error")
MAX_NAME_CHARS = 1024
MIN_TIME_NS = 946_684_800 * 10**9  # 2000-01-01
YEAR_NS = 366 * 86_400 * 10**9
MAX_DURATION_NS = 30 * 86_400 * 10**9
_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
_EMPTY: tuple = ()
# OTLP SpanFlags: whether the parent is remote is known (0x100), and it is (0x200).
_REMOTE_BITS = 0x300


class InvalidSpans(ValueError):
    """The request is malformed; nothing of it may be stored."""


def _hex_id(raw: bytes, size: int, what: str) -> str:
    if len(raw) != size or raw == bytes(size):
        raise InvalidSpans(f"{what} must be {size} non-zero bytes, got {len(raw)} bytes")
    return raw.hex()


def _span_attributes(key_values: Any) -> dict[str, str]:
    """``attributes_to_dict`` unrolled for the common case (the ingest hot loop)."""
    if len(key_values) > MAX_ATTRIBUTES:
        return attributes_to_dict(key_values)
    out: dict[str, str] = {}
    for kv in key_values:
        key = kv.key  # each read of a upb field makes a new str: read once
        value = kv.value
        # A non-empty string_value can only be the set member of the oneof: skip WhichOneof.
        text = value.string_value
        if text:
            if len(text) > MAX_VALUE_CHARS:
                text = cap(text)
            out[key if len(key) <= MAX_KEY_CHARS else cap(key, MAX_KEY_CHARS)] = text
            continue
        kind = value.WhichOneof("value")
        if kind == "string_value":
            pass  # empty string
        elif kind == "int_value":
            text = str(value.int_value)
        elif kind == "double_value":
            text = repr(value.double_value)
        elif kind == "bool_value":
            text = "true" if value.bool_value else "false"
        else:
            text = to_text(value)
        if len(key) > MAX_KEY_CHARS:
            key = cap(key, MAX_KEY_CHARS)
        out[key] = text
    return out


def _capped(text: str) -> str:
    return text if len(text) <= MAX_NAME_CHARS else cap(text, MAX_NAME_CHARS)


def convert(request: Any, default_project: str = "default") -> SpanBatch:
    """Column-wise: one tuple of scalars per span (transposed at the end), span
    attributes as flat key/value lists, resource attributes once per resource."""
    rows: list[tuple] = []
    attr_keys: list[str] = []
    attr_values: list[str] = []
    attr_offsets = [0]
    resources: list[list[tuple[str, str]]] = []
    resource_of: list[int] = []
    nested: dict[str, list[Any]] = {name: [] for name in _NESTED}
    now = time.time_ns()
    lo, hi = MIN_TIME_NS, now + YEAR_NS
    for resource_spans in request.resource_spans:
        resource_attrs = attributes_to_dict(resource_spans.resource.attributes)
        service = _capped(resource_attrs.get("service.name", ""))
        project = (  # Phoenix's register(project_name=…) names it on the resource
            resource_attrs.get("spanwise.project", "")
            or resource_attrs.get("openinference.project.name", "")
            or default_project
        )
        resource = len(resources)
        resources.append(list(resource_attrs.items()))
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            scope_name, scope_version = _capped(scope.name), _capped(scope.version)
            spans = scope_spans.spans
            resource_of += [resource] * len(spans)
            for span in spans:
                trace_id = span.trace_id
                if len(trace_id) != 16 or trace_id == _ZERO_TRACE:
                    _hex_id(trace_id, 16, "trace_id")
                span_id = span.span_id
                if len(span_id) != 8 or span_id == _ZERO_SPAN:
                    _hex_id(span_id, 8, "span_id")
                parent = span.parent_span_id
                if parent and (len(parent) != 8 or parent == _ZERO_SPAN):
                    _hex_id(parent, 8, "parent_span_id")
                parent_id = parent.hex()  # b"".hex() == "": a root span
                # 1: the parent is in another process (both is-remote bits; migration 14)
                remote = parent and (span.flags & _REMOTE_BITS) == _REMOTE_BITS
                start = span.start_time_unix_nano
                end = span.end_time_unix_nano
                if not lo <= start <= hi:
                    start = now
                duration = end - start if start <= end <= start + MAX_DURATION_NS else 0
                attrs = _span_attributes(span.attributes)
                d = derive_row(attrs, start + duration)
                attr_keys += attrs
                attr_values += attrs.values()
                attr_offsets.append(len(attr_keys))
                status = span.status
                kind = span.kind
                code = status.code
                rows.append((
                    start, trace_id.hex(), span_id.hex(), parent_id, _capped(span.trace_state),
                    _capped(span.name), _KIND[kind] if 0 <= kind < 6 else "Unspecified",
                    service, scope_name, scope_version, duration,
                    _STATUS[code] if 0 <= code < 3 else "Unset",
                    cap(status.message) if status.message else "", d[13] or project, *d[:13],
                    d[14], d[15], 1 if remote else 0,
                ))  # fmt: skip
                if span.events or span.links:
                    _nested(nested, span, lo, hi, start)
                else:
                    for values in nested.values():
                        values.append(_EMPTY)
    n = len(rows)
    columns: dict[str, list[Any]] = dict(
        zip(SCALAR_COLUMNS, map(list, zip(*rows))) if n else ((c, []) for c in SCALAR_COLUMNS)
    )
    columns.update(nested)
    columns["Cost"] = [None] * n
    columns["CostBreakdown"] = [_EMPTY] * n
    columns["CostStatus"] = [""] * n
    columns["PricingVersion"] = [""] * n
    return SpanBatch(
        columns, attributes=(attr_offsets, attr_keys, attr_values), resources=resources,
        resource_of=resource_of,
    )  # fmt: skip


_NESTED = ("Events.Timestamp", "Events.Name", "Events.Attributes", "Links.TraceId",
           "Links.SpanId", "Links.TraceState", "Links.Attributes")  # fmt: skip


def _nested(nested: dict[str, list[Any]], span: Any, lo: int, hi: int, start: int) -> None:
    events = span.events[:MAX_EVENTS]
    nested["Events.Timestamp"].append(
        [e.time_unix_nano if lo <= e.time_unix_nano <= hi else start for e in events]
    )
    nested["Events.Name"].append([_capped(e.name) for e in events])
    nested["Events.Attributes"].append(
        [list(attributes_to_dict(e.attributes).items()) for e in events]
    )
    links = span.links[:MAX_LINKS]
    for link in links:  # as span ids, a bad one refuses the request (it was cut and kept)
        if len(link.trace_id) not in (0, 16) or len(link.span_id) not in (0, 8):
            raise InvalidSpans(
                f"a link's trace_id must be 16 bytes and span_id 8, got "
                f"{len(link.trace_id)} and {len(link.span_id)} bytes"
            )
    nested["Links.TraceId"].append([link.trace_id.hex() for link in links])
    nested["Links.SpanId"].append([link.span_id.hex() for link in links])
    nested["Links.TraceState"].append([_capped(link.trace_state) for link in links])
    nested["Links.Attributes"].append(
        [list(attributes_to_dict(link.attributes).items()) for link in links]
    )
