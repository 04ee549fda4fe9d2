"""Which span filters the hourly rollup (``query/rollup.py``) can apply itself.

A rollup row sums spans that share every key column (project, hour, model, provider,
span type, span name, status code, cost status, retention), and ``span_rollup_hourly``
stores those columns under the same names, types and values as ``otel_traces`` (the
view copies them; reprice deltas carry the span's old and new cost status). So a
predicate over key columns alone is true for all of a row's spans or for none: the
filter compiled with ``SPAN_SCHEMA`` selects the same spans from either table.

Anything else — attributes, tokens, cost, duration, timestamp, ids, text, trace-level
fields (subqueries over ``trace_summary``) — varies within a row: the scan answers.

The edge scan reads a span's versions without FINAL (``newest_spans``) and picks the
newest among the rows matching its condition. All key columns but the cost status are
the same in every version; ``span.cost_status`` changes on reprice (unknown_model → ok),
so a filter naming it must be applied after the newest version is chosen
(``REPRICED_FIELDS``).
"""

from __future__ import annotations

from spanwise_collector.filters import And, FilterError, Node, Not, Or

from .schema import SPAN_SCHEMA

__all__ = ["REPRICED_FIELDS", "ROLLUP_FIELDS", "rollup_fields"]

# Span fields whose SQL (search/schema.py) reads only rollup key columns:
# span.name SpanName, span.type SpanType, span.status if(StatusCode = 'Error', …),
# span.model nullIf(Model, ''), span.provider nullIf(Provider, ''),
# span.cost_status nullIf(CostStatus, '').
ROLLUP_FIELDS = frozenset(
    {"span.name", "span.type", "span.status", "span.model", "span.provider", "span.cost_status"}
)
# Of those, the ones whose value differs between a span's versions.
REPRICED_FIELDS = frozenset({"span.cost_status"})


def rollup_fields(node: Node | None) -> frozenset[str] | None:
    """The fields ``node`` names if all are ``ROLLUP_FIELDS``, else None (no filter: empty).

    A field the schema does not know gives None: the scan path compiles the filter
    and raises the usual FilterError.
    """
    if node is None:
        return frozenset()
    if isinstance(node, Not):
        return rollup_fields(node.item)
    if isinstance(node, (And, Or)):
        found: set[str] = set()
        for item in node.items:
            names = rollup_fields(item)
            if names is None:
                return None
            found |= names
        return frozenset(found)
    try:
        item = SPAN_SCHEMA.resolve(node.field).item
    except FilterError:
        return None
    if item.name in ROLLUP_FIELDS and item.wrap is None:
        return frozenset({item.name})
    return None
