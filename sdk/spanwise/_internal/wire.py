"""OTLP ``ExportTraceServiceRequest`` bytes written directly from finished spans.

Why: OTel's ``encode_spans`` builds a protobuf object per span, attribute and value
from Python (~27 µs per span of five attributes, as much as creating the span);
writing the wire format into byte strings costs a fraction of that, and the export
thread holds the GIL the application needs. The output parses to a message equal
to ``encode_spans``'s (tests/sdk/test_wire.py checks this field by field).

Field numbers are those of opentelemetry-proto's trace.proto, common.proto and
resource.proto. Proto3: scalars at their default are left out; sub-messages the
OTel encoder always sets (resource, scope, status) are written even when empty.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from opentelemetry.trace import SpanKind, StatusCode

from .text import replace_lone_surrogates

__all__ = ["encode_request"]

logger = logging.getLogger("spanwise")

_pack_d = struct.Struct("<d").pack
_pack_q = struct.Struct("<Q").pack
_pack_i = struct.Struct("<I").pack
_ONE_BYTE = [bytes((i,)) for i in range(128)]
_INTERNAL, _UNSET = SpanKind.INTERNAL, StatusCode.UNSET
# proto SpanKind = SDK SpanKind + 1 (proto 0 is UNSPECIFIED)
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1

# SpanFlags: the parent's is_remote is known (always), and whether it is remote.
_HAS_IS_REMOTE = 0x100
_IS_REMOTE = 0x200
_FLAGS_LOCAL = b"\x85\x01" + struct.pack("<I", _HAS_IS_REMOTE)
_FLAGS_REMOTE = b"\x85\x01" + struct.pack("<I", _HAS_IS_REMOTE | _IS_REMOTE)

# Encoded keys and short repeated values (span types, project, model names…) are
# looked up instead of re-encoded; the caches are cleared when they grow too big.
_CACHE_MAX = 4096
_KEYS: dict[str, bytes] = {}
_STRINGS: dict[str, bytes] = {}
_NAMES: dict[str, bytes] = {}  # span name fields
_SHORT = 128


def _varint(n: int) -> bytes:
    if 0 <= n < 128:
        return _ONE_BYTE[n]
    if n < 0:
        n += 1 << 64  # int64: two's complement in ten bytes
    out = bytearray()
    while n >= 128:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: tag, length, payload."""
    n = len(payload)
    return tag + (_ONE_BYTE[n] if n < 128 else _varint(n)) + payload


def _string_value(value: str) -> bytes:
    """AnyValue{string_value} (field 1)."""
    if len(value) > _SHORT:
        return _field(b"\x0a", value.encode("utf-8"))
    out = _STRINGS.get(value)
    if out is None:
        if len(_STRINGS) >= _CACHE_MAX:
            _STRINGS.clear()
        out = _STRINGS[value] = _field(b"\x0a", value.encode("utf-8"))
    return out


def _any_value(value: Any) -> bytes:
    """The body of an AnyValue, in OTel's type order (bool before int, str before
    sequences). Raises TypeError for a type OTLP cannot carry."""
    if isinstance(value, str):
        return _string_value(value)
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"Value out of range: {value}")
        return b"\x18" + _varint(value)
    if isinstance(value, float):
        return b"\x21" + _pack_d(value)
    if value is None:
        return b""
    if isinstance(value, bytes):
        return _field(b"\x3a", value)
    if isinstance(value, Sequence):
        items = b"".join([_field(b"\x0a", _any_value(v)) for v in value])
        return _field(b"\x2a", items)  # array_value: ArrayValue{values = 1}
    if isinstance(value, Mapping):
        pairs = b"".join([_field(b"\x0a", _key_value(str(k), v)) for k, v in value.items()])
        return _field(b"\x32", pairs)  # kvlist_value: KeyValueList{values = 1}
    raise TypeError(f"Invalid type {type(value)} of value {value}")


def _key(key: str) -> bytes:
    if len(_KEYS) >= _CACHE_MAX:
        _KEYS.clear()
    prefix = _KEYS[key] = _field(b"\x0a", key.encode("utf-8"))
    return prefix


def _key_value(key: str, value: Any) -> bytes:
    """The body of a KeyValue{key = 1, value = 2}."""
    prefix = _KEYS.get(key)
    if prefix is None:
        prefix = _key(key)
    return prefix + _field(b"\x12", _any_value(value))


def _len(n: int) -> bytes:
    """A length as a varint; lengths below 16384 (nearly all) take at most two bytes."""
    if n < 128:
        return _ONE_BYTE[n]
    if n < 16384:
        return bytes(((n & 0x7F) | 0x80, n >> 7))
    return _varint(n)


def _kv_field(tag: bytes, key: str, value: Any) -> bytes:
    """One attribute as a KeyValue field ``tag``; raises for a value OTLP cannot carry."""
    prefix = _KEYS.get(key)
    if prefix is None:
        prefix = _key(key)
    if value.__class__ is str:
        body = _STRINGS.get(value)
        if body is None:
            if len(value) > _SHORT:  # long (captured inputs/outputs): one copy, no cache
                data = value.encode("utf-8")
                n = len(data)
                head = b"\x0a" + _len(n)
                m = len(head) + n
                kv_len = len(prefix) + 1 + len(_len(m)) + m
                return b"".join((tag, _len(kv_len), prefix, b"\x12", _len(m), head, data))
            body = _string_value(value)
    else:
        body = _any_value(value)
    kv = prefix + b"\x12" + _len(len(body)) + body
    return tag + _len(len(kv)) + kv


# Whole encoded attribute fields by field tag, then (key, value, type of the value):
# a span's attributes are all looked up in one C-level pass (``map`` over ``zip``).
# The type is in the key because ``1``, ``1.0`` and ``True`` are equal and encode
# differently; only values whose equal same-type values encode the same are kept
# (not ±0.0 or NaN; tuples only of strings, since ``(1,) == (True,)``).
_PAIRS: dict[bytes, dict[tuple[Any, Any, type], bytes]] = {}
_PAIRS_MAX = 16384


def _pairs(tag: bytes) -> dict[tuple[Any, Any, type], bytes]:
    if len(_PAIRS) >= 64:
        _PAIRS.clear()
    pairs = _PAIRS[tag] = {}
    return pairs


def _attributes(tag: bytes, attributes: Any, out: list[bytes]) -> None:
    """Append each attribute as a repeated KeyValue field ``tag``; like OTel's encoder,
    an attribute that cannot be encoded is logged and left out."""
    if not attributes:
        return
    pairs = _PAIRS.get(tag) or _pairs(tag)
    values = attributes.values()
    try:
        found = list(map(pairs.get, zip(attributes.keys(), values, map(type, values))))
    except TypeError:  # an unhashable value: each attribute on its own below
        found = [None] * len(attributes)
    if None in found:
        _fill(tag, attributes, found, pairs)
    out += found


def _fill(tag: bytes, attributes: Any, found: list[Any], pairs: dict[Any, bytes]) -> None:
    """Encode the attributes ``found`` has no field for (``None``), in place; one that
    cannot be encoded becomes ``b""`` (nothing on the wire), logged as OTel does."""
    items = list(attributes.items())
    keys, strings = _KEYS, _STRINGS
    i = found.index(None)
    while True:
        key, value = items[i]
        field = b""
        try:
            cls = type(value)
            if cls is str:
                if len(value) > _SHORT:  # long (captured inputs/outputs): not cached
                    field = _kv_field(tag, key, value)
                    keep = False
                else:
                    # Kept on a value's second sighting only (its body is cached on
                    # the first), so one-off values (ids) churn nothing.
                    body = strings.get(value)
                    keep = body is not None
                    if not keep:
                        body = _string_value(value)
                    prefix = keys.get(key)
                    if prefix is None:
                        prefix = _key(key)
                    kv = prefix + b"\x12" + _len(len(body)) + body
                    field = tag + _len(len(kv)) + kv
            else:
                field = _kv_field(tag, key, value)
                keep = (
                    cls is int
                    or cls is bool
                    or (cls is float and value == value and value != 0.0)
                    or (cls is tuple and all(type(v) is str for v in value))
                )
            if keep and key.__class__ is str:
                if len(pairs) >= _PAIRS_MAX:
                    pairs.clear()
                pairs[key, value, cls] = field
        except Exception as exc:
            if isinstance(exc, UnicodeEncodeError):  # lone surrogates: kept, as U+FFFD
                field = _clean_field(tag, key, value)
            else:
                logger.exception("Failed to encode key %s: %s", key, exc)
        found[i] = field
        try:
            i = found.index(None, i + 1)
        except ValueError:
            return


def _span_id(tag: bytes, span_id: int) -> bytes:
    return tag + b"\x08" + span_id.to_bytes(8, "big")


def _trace_id(tag: bytes, trace_id: int) -> bytes:
    return tag + b"\x10" + trace_id.to_bytes(16, "big")


def _flags(tag: bytes, context: Any) -> bytes:
    flags = _HAS_IS_REMOTE
    if context is not None and context.is_remote:
        flags |= _IS_REMOTE
    return tag + _pack_i(flags)


def _event(event: Any) -> bytes:
    # Event{time_unix_nano = 1 fixed64, name = 2, attributes = 3, dropped = 4}
    out = []
    if event.timestamp:
        out.append(b"\x09" + _pack_q(event.timestamp))
    if event.name:
        out.append(_field(b"\x12", event.name.encode("utf-8")))
    _attributes(b"\x1a", event.attributes, out)
    dropped = event.dropped_attributes
    if dropped:
        out.append(b"\x20" + _varint(dropped))
    return b"".join(out)


def _link(link: Any) -> bytes:
    # Link{trace_id = 1, span_id = 2, attributes = 4, dropped = 5, flags = 6 fixed32}
    ctx = link.context
    out = [_trace_id(b"\x0a", ctx.trace_id), _span_id(b"\x12", ctx.span_id)]
    _attributes(b"\x22", link.attributes, out)
    dropped = link.dropped_attributes
    if dropped:
        out.append(b"\x28" + _varint(dropped))
    out.append(_flags(b"\x35", ctx))
    return b"".join(out)


def _status(status: Any) -> bytes:
    # Status{message = 2, code = 3}; always present, as OTel's encoder sets it.
    if status is None:
        return b""
    code = status.status_code
    if code is _UNSET and not status.description:
        return b"\x7a\x00"
    body = b""
    if status.description:
        body = _field(b"\x12", status.description.encode("utf-8"))
    if code is not _UNSET:
        body += b"\x18" + _varint(code.value)
    return _field(b"\x7a", body)


def _span_attributes(span: Any) -> Any:
    """The plain dict inside an ended SDK span's ``BoundedAttributes`` (immutable from
    ``end()`` on): the public read-only view costs a Python ``__getitem__`` per
    attribute, ~40% of this encoder's time. Any other span: its public attributes."""
    bounded = getattr(span, "_attributes", None)
    if bounded.__class__ is dict:  # a lean span's own dict (asking it for _dict raises)
        return span.attributes
    raw = getattr(bounded, "_dict", None)
    if type(raw) is dict and getattr(bounded, "_immutable", False) is True:
        return raw
    return span.attributes


def _span_body(span: Any) -> list[bytes]:
    """The fields of one Span message, in order."""
    ctx = span.context
    parent = span.parent
    out = [
        b"\x0a\x10" + ctx.trace_id.to_bytes(16, "big"),
        b"\x12\x08" + ctx.span_id.to_bytes(8, "big"),
    ]
    state = ctx.trace_state
    if state:
        text = ",".join([f"{k}={v}" for k, v in state.items()])
        out.append(_field(b"\x1a", text.encode("utf-8")))
    if parent is not None:
        out.append(b"\x22\x08" + parent.span_id.to_bytes(8, "big"))
    name = span.name
    if name:
        field = _NAMES.get(name)
        if field is None:
            if len(_NAMES) >= _CACHE_MAX:
                _NAMES.clear()
            field = _NAMES[name] = _field(b"\x2a", name.encode("utf-8"))
        out.append(field)
    kind = span.kind
    out.append(b"\x30\x01" if kind is _INTERNAL else b"\x30" + _ONE_BYTE[kind.value + 1])
    if span.start_time:
        out.append(b"\x39" + _pack_q(span.start_time))
    if span.end_time:
        out.append(b"\x41" + _pack_q(span.end_time))
    _attributes(b"\x4a", _span_attributes(span), out)
    if span.dropped_attributes:
        out.append(b"\x50" + _varint(span.dropped_attributes))
    events = span.events
    if events:
        out.extend([_field(b"\x5a", _event(e)) for e in events])
    if span.dropped_events:
        out.append(b"\x60" + _varint(span.dropped_events))
    links = span.links
    if links:
        out.extend([_field(b"\x6a", _link(link)) for link in links])
    if span.dropped_links:
        out.append(b"\x70" + _varint(span.dropped_links))
    status = span.status
    if status is not None and status.status_code is _UNSET and not status.description:
        out.append(b"\x7a\x00")  # _status(status), the usual case
    else:
        out.append(_status(status))
    # flags (field 16, fixed32): whether the parent is remote is known, and its value
    out.append(_FLAGS_REMOTE if parent is not None and parent.is_remote else _FLAGS_LOCAL)
    return out


def _scope(scope: Any) -> bytes:
    # InstrumentationScope{name = 1, version = 2, attributes = 3}
    if scope is None:
        return b""
    out = []
    if scope.name:
        out.append(_field(b"\x0a", scope.name.encode("utf-8")))
    if scope.version:
        out.append(_field(b"\x12", scope.version.encode("utf-8")))
    _attributes(b"\x1a", scope.attributes, out)
    return b"".join(out)


def _schema_url(url: str | None) -> bytes:
    return _field(b"\x1a", url.encode("utf-8")) if url else b""


_clean = replace_lone_surrogates  # see text.py: one bad string would fail the batch


def _clean_field(tag: bytes, key: Any, value: Any) -> bytes:
    try:
        return _kv_field(tag, _clean(key), _clean(value))
    except Exception as exc:
        logger.exception("Failed to encode key %s: %s", _clean(key), exc)
        return b""


def _clean_map(attributes: Any) -> dict[str, Any]:
    return _clean(dict(attributes or {}))


class _CleanSpan:
    """A span's text fields with lone surrogates replaced; everything else its own."""

    __slots__ = ("_attributes", "_span", "attributes", "events", "links", "name", "status")

    def __init__(self, span: Any) -> None:
        self._span = span
        self._attributes = None  # so that _span_attributes reads ``attributes``
        self.name = _clean(span.name)
        self.attributes = _clean_map(span.attributes)
        self.events = [
            SimpleNamespace(timestamp=e.timestamp, name=_clean(e.name),
                            attributes=_clean_map(e.attributes),
                            dropped_attributes=e.dropped_attributes)
            for e in span.events or ()
        ]  # fmt: skip
        self.links = [
            SimpleNamespace(context=link.context, attributes=_clean_map(link.attributes),
                            dropped_attributes=link.dropped_attributes)
            for link in span.links or ()
        ]  # fmt: skip
        status = span.status
        if status is not None and status.description:
            status = SimpleNamespace(status_code=status.status_code,
                                     description=_clean(status.description))  # fmt: skip
        self.status = status

    def __getattr__(self, name: str) -> Any:
        return getattr(self._span, name)


def _span_body_cleaned(span: Any) -> list[bytes]:
    try:
        return _span_body(span)
    except UnicodeEncodeError:
        return _span_body(_CleanSpan(span))


def encode_request(spans: Sequence[Any]) -> bytes:
    """``ExportTraceServiceRequest`` bytes for ``spans`` (SDK ``ReadableSpan``s); a
    span whose name, event or status holds a lone surrogate is encoded with U+FFFD in
    its place, on a second pass that only such a batch pays for."""
    try:
        return _encode_request(spans, _span_body)
    except UnicodeEncodeError:
        return _encode_request(spans, _span_body_cleaned)


def _encode_request(spans: Sequence[Any], span_body: Any) -> bytes:
    """``ExportTraceServiceRequest`` bytes for ``spans`` (SDK ``ReadableSpan``s),
    grouped by resource, then instrumentation scope, in order of first appearance.

    Every span's fields go into one list with the enclosing messages' tags and
    lengths computed from their sizes, joined once: nesting by concatenation would
    copy a batch (hundreds of KB) once per level."""
    groups: dict[int, tuple[Any, dict[int, tuple[Any, list[bytes], list[int]]]]] = {}
    for span in spans:
        resource = span.resource
        scope = span.instrumentation_scope or None
        entry = groups.get(id(resource))
        if entry is None:
            entry = groups[id(resource)] = (resource, {})
        scopes = entry[1]
        bucket = scopes.get(id(scope))
        if bucket is None:
            bucket = scopes[id(scope)] = (scope, [], [0])
        body = span_body(span)
        n = sum(map(len, body))
        head = b"\x12" + _len(n)  # ScopeSpans.spans = 2
        parts = bucket[1]
        parts.append(head)
        parts += body
        bucket[2][0] += len(head) + n
    out: list[bytes] = []
    for resource, scopes in groups.values():
        attrs: list[bytes] = []
        _attributes(b"\x0a", resource.attributes, attrs)  # Resource.attributes = 1
        resource_field = _field(b"\x0a", b"".join(attrs))  # ResourceSpans.resource = 1
        pieces = [resource_field]
        size = len(resource_field)
        for scope, parts, spans_size in scopes.values():
            scope_field = _field(b"\x0a", _scope(scope))  # ScopeSpans.scope = 1
            schema = _schema_url(scope.schema_url) if scope is not None else b""
            n = len(scope_field) + spans_size[0] + len(schema)
            head = b"\x12" + _len(n)  # ResourceSpans.scope_spans = 2
            pieces.append(head)
            pieces.append(scope_field)
            pieces += parts
            pieces.append(schema)
            size += len(head) + n
        schema = _schema_url(resource.schema_url)
        size += len(schema)
        pieces.append(schema)
        out.append(b"\x0a" + _len(size))  # request.resource_spans = 1
        out += pieces
    return b"".join(out)
