"""Trace search and analytics (issue 6) on the shared filter language.

    search_traces(store, filter="span.model = 'gpt-4o' AND trace.cost > 0.01", since="1d")
    search_spans(store, filter="span.type = 'LLM'", order_by=["span.cost DESC"])
    list_sessions(store), get_session(store, "s-1")
    analytics(store, group_by=["model", "day"], since="7d", level="span")

Schemas (fields -> SQL) are in ``schema``; keyset paging in ``keyset``; the time
window and page tokens in ``window``; ``bench`` runs the reference queries.
"""

from .analytics import GROUP_KEYS, METRICS, analytics
from .schema import SPAN_SCHEMA, TRACE_SCHEMA
from .sessions import get_session, list_sessions
from .spans import SPAN_FIELDS, search_spans
from .traces import TRACE_FIELDS, search_traces

__all__ = [
    "GROUP_KEYS",
    "METRICS",
    "SPAN_FIELDS",
    "SPAN_SCHEMA",
    "TRACE_FIELDS",
    "TRACE_SCHEMA",
    "analytics",
    "get_session",
    "list_sessions",
    "search_spans",
    "search_traces",
]
