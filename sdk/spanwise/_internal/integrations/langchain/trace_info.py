"""What a top-level run's config says about its whole trace.

LangSmith's conversation keys in the run's metadata (``thread_id`` — LangGraph copies
its checkpointer's there —, ``session_id``, ``conversation_id``) name the trace's
session, as MLflow reads ``thread_id``; the user's ``metadata`` and ``tags`` become the
trace's metadata and tags (tags as keys with empty values, as Langfuse labels arrive),
so ``metadata.customer = 'acme'`` finds the run. LangChain's and LangGraph's own keys
and tags are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import trace as trace_api

from ... import attributes as attrs
from ...spans import trace_attributes
from .runs import real_span
from .serialize import to_jsonable

_SESSION_KEYS = ("thread_id", "session_id", "conversation_id")
_OWN_KEYS = ("ls_", "lc_", "langgraph_", "checkpoint_", "__")
_OWN_TAGS = ("seq:", "graph:", "map:", "retry:", "langsmith:", "langgraph:")


def trace_level(tags: Iterable[str] | None, metadata: Mapping[str, Any] | None) -> dict[str, str]:
    metadata = metadata or {}
    user_metadata = {
        str(k): to_jsonable(v)
        for k, v in metadata.items()
        if v is not None and not str(k).startswith(_OWN_KEYS)
    }
    user_tags = {str(t): "" for t in tags or () if not str(t).startswith(_OWN_TAGS)}
    return trace_attributes(user_tags, _session(metadata), None, user_metadata)


def _session(metadata: Mapping[str, Any]) -> str | None:
    """The first conversation key, unless the span the run starts under already names a
    session (``update_current_trace(session_id=...)``): the app's own choice wins."""
    for key in _SESSION_KEYS:
        value = metadata.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            break
    else:
        return None
    ambient = real_span(trace_api.get_current_span())
    if (getattr(ambient, "attributes", None) or {}).get(attrs.SESSION_ID):
        return None
    return str(value)
