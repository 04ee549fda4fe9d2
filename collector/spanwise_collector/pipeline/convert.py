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

from .batch import SpanBatch
from .normalize import derive
from .otlp_values import MAX_EVENTS, MAX_LINKS, attributes_to_dict, cap

_KIND = {0: "Unspecified", 1: "Internal", 2: "Server", 3: "Client", 4: "Producer", 5: "Consumer"}
_STATUS = {0: "Unset", 1: "Ok", 2: "Error"}
MAX_NAME_CHARS = 1024
MIN_TIME_NS = 946_684_800 * 10**9  # 2000-01-01
YEAR_NS = 366 * 86_400 * 10**9
MAX_DURATION_NS = 30 * 86_400 * 10**9


class InvalidSpans(ValueError):
    """The request is malformed; nothing of it may be stored."""


def _hex_id(raw: bytes, size: int, what: str) -> str:
    if len(raw) != size or raw == bytes(size):
        raise InvalidSpans(f"{what} must be {size} non-zero bytes, got {len(raw)} bytes")
    return raw.hex()


def convert(request: Any, default_project: str = "default") -> SpanBatch:
    batch = SpanBatch()
    col = batch.columns
    now = time.time_ns()
    window = (MIN_TIME_NS, now + YEAR_NS, now)
    for resource_spans in request.resource_spans:
        resource_attrs = attributes_to_dict(resource_spans.resource.attributes)
        service = resource_attrs.get("service.name", "")
        resource_project = resource_attrs.get("spanwise.project", "")
        resource_items = list(resource_attrs.items())
        for scope_spans in resource_spans.scope_spans:
            scope_name = cap(scope_spans.scope.name, MAX_NAME_CHARS)
            scope_version = cap(scope_spans.scope.version, MAX_NAME_CHARS)
            for span in scope_spans.spans:
                _append(
                    col, span, resource_items, service, resource_project or default_project,
                    scope_name, scope_version, window,
                )  # fmt: skip
    return batch


def _append(
    col: dict[str, list[Any]],
    span: Any,
    resource_items: list[tuple[str, str]],
    service: str,
    project: str,
    scope_name: str,
    scope_version: str,
    window: tuple[int, int, int],
) -> None:
    trace_id = _hex_id(span.trace_id, 16, "trace_id")
    span_id = _hex_id(span.span_id, 8, "span_id")
    parent = span.parent_span_id
    parent_id = _hex_id(parent, 8, "parent_span_id") if parent else ""
    lo, hi, now = window
    start = span.start_time_unix_nano
    end = span.end_time_unix_nano
    if not lo <= start <= hi:
        start = now
    duration = end - start if start <= end <= start + MAX_DURATION_NS else 0
    attrs = attributes_to_dict(span.attributes)
    d = derive(attrs)

    col["Timestamp"].append(start)
    col["TraceId"].append(trace_id)
    col["SpanId"].append(span_id)
    col["ParentSpanId"].append(parent_id)
    col["TraceState"].append(cap(span.trace_state, MAX_NAME_CHARS))
    col["SpanName"].append(cap(span.name, MAX_NAME_CHARS))
    col["SpanKind"].append(_KIND.get(span.kind, "Unspecified"))
    col["ServiceName"].append(cap(service, MAX_NAME_CHARS))
    col["ResourceAttributes"].append(resource_items)
    col["ScopeName"].append(scope_name)
    col["ScopeVersion"].append(scope_version)
    col["SpanAttributes"].append(list(attrs.items()))
    col["Duration"].append(duration)
    col["StatusCode"].append(_STATUS.get(span.status.code, "Unset"))
    col["StatusMessage"].append(cap(span.status.message))
    events = span.events[:MAX_EVENTS]
    col["Events.Timestamp"].append(
        [e.time_unix_nano if lo <= e.time_unix_nano <= hi else start for e in events]
    )
    col["Events.Name"].append([cap(e.name, MAX_NAME_CHARS) for e in events])
    col["Events.Attributes"].append(
        [list(attributes_to_dict(e.attributes).items()) for e in events]
    )
    links = span.links[:MAX_LINKS]
    col["Links.TraceId"].append([link.trace_id[:16].hex() for link in links])
    col["Links.SpanId"].append([link.span_id[:8].hex() for link in links])
    col["Links.TraceState"].append([cap(link.trace_state, MAX_NAME_CHARS) for link in links])
    col["Links.Attributes"].append(
        [list(attributes_to_dict(link.attributes).items()) for link in links]
    )
    col["Project"].append(d.project or project)
    col["SpanType"].append(d.span_type)
    col["Input"].append(d.input)
    col["Output"].append(d.output)
    col["Model"].append(d.model)
    col["Provider"].append(d.provider)
    col["InputTokens"].append(d.input_tokens)
    col["OutputTokens"].append(d.output_tokens)
    col["CachedTokens"].append(d.cached_tokens)
    col["CacheWriteTokens"].append(d.cache_write_tokens)
    col["ReasoningTokens"].append(d.reasoning_tokens)
    col["Cost"].append(None)
    col["CostBreakdown"].append([])
    col["CostStatus"].append("")
    col["PricingVersion"].append("")
    col["SessionId"].append(d.session_id)
    col["UserId"].append(d.user_id)
    col["RunId"].append(d.run_id)
    col["TraceTags"].append(list(d.tags.items()))
    col["TraceMetadata"].append(list(d.metadata.items()))
