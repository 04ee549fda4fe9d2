"""Migration 14: a trace whose root span is in another process still gets a name and status.

A service that continues a trace begun elsewhere (a gateway or a caller sending
``traceparent``) sends no span without a parent: its first span has a *remote* parent.
``trace_summary`` took the name and status only from the span without a parent, so such
traces listed with no name and OK whatever their first span said.

OTLP says whether a parent is remote (``Span.flags``: has-is-remote and is-remote bits;
the OTel SDKs set them, ours too). The collector stores it per span (``ParentRemote``,
cheap: almost all zeros) and the summary keeps the *earliest* such entry span per trace
in ``Entry``: ``max`` over (MAX_INT64 − start, name, error), so the earliest start wins
and a partial row without an entry (the type's default, key 0) never does. Readers take
the name and status of the span without a parent when the trace has one, else the entry's
(``query/traces.py``). Spans of SDKs that do not send the bits have no entry: as before.
"""

from __future__ import annotations

from dataclasses import replace

from .ddl_spec import MaterializedView, Statement, ViewQuery

__all__ = ["trace_entry_statements"]

_ENTRY_TYPE = "Tuple(UInt64, String, UInt8)"
_ENTRY_SQL = (
    "    maxIf((toUInt64(9223372036854775807 - toUnixTimestamp64Nano(Timestamp)), "
    "toString(SpanName), toUInt8(StatusCode = 'Error')), ParentRemote = 1) AS Entry,\n"
)
_ANCHOR = "    countIf(StatusCode = 'Error') AS ErrorCount,\n"


def trace_entry_statements(summary_view: MaterializedView) -> tuple[Statement, ...]:
    """Migration 14's statements; ``summary_view`` is migration 1's view, extended."""
    select = summary_view.select
    if _ANCHOR not in select:  # migration 1's view is never edited; this guards a typo
        raise RuntimeError(f"{summary_view.name}: anchor for the Entry column not found")
    return (
        "ALTER TABLE {db}.otel_traces ADD COLUMN IF NOT EXISTS ParentRemote UInt8 DEFAULT 0",
        "ALTER TABLE {db}.trace_summary ADD COLUMN IF NOT EXISTS "
        f"Entry SimpleAggregateFunction(max, {_ENTRY_TYPE})",
        ViewQuery(replace(summary_view, select=select.replace(_ANCHOR, _ENTRY_SQL + _ANCHOR, 1))),
    )
