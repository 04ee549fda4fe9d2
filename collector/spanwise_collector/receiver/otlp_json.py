"""OTLP/JSON → protobuf. OTLP/JSON spells trace and span ids in hex, while protobuf's
JSON mapping expects base64 for bytes fields, so ids are rewritten before parsing."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from ..pipeline.convert import InvalidSpans

_ID_KEYS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _fix_ids(obj: dict[str, Any]) -> None:
    for key in _ID_KEYS:
        value = obj.get(key)
        if isinstance(value, str) and value:
            try:
                obj[key] = base64.b64encode(bytes.fromhex(value)).decode()
            except ValueError:
                raise InvalidSpans(f"{key} {value[:64]!r} is not hexadecimal") from None


def decode_json(body: bytes) -> Any:
    """An OTLP/JSON request body → ``ExportTraceServiceRequest`` (``InvalidSpans`` if bad)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidSpans(f"invalid JSON: {exc}") from None
    return parse_json_request(payload)


def parse_json_request(payload: Any) -> Any:
    if not isinstance(payload, dict):
        raise InvalidSpans("the body must be a JSON object with resourceSpans")
    try:
        for rs in payload.get("resourceSpans") or payload.get("resource_spans") or []:
            for ss in rs.get("scopeSpans") or rs.get("scope_spans") or []:
                for span in ss.get("spans") or []:
                    _fix_ids(span)
                    for link in span.get("links") or []:
                        _fix_ids(link)
    except (AttributeError, TypeError):
        raise InvalidSpans("resourceSpans has the wrong shape (see the OTLP/JSON spec)") from None
    try:
        return json_format.ParseDict(payload, trace_service_pb2.ExportTraceServiceRequest())
    except (json_format.ParseError, binascii.Error, ValueError, TypeError) as exc:
        raise InvalidSpans(f"invalid OTLP/JSON: {exc}") from None
