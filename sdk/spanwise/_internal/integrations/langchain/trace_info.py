"""What a top-level run's config says about its whole trace.

LangSmith's conversation keys in the run's metadata (``thread_id`` — LangGraph copies
its checkpointer's there —, ``session_id``, ``conversation_id``) name the trace's
session, as MLflow reads ``thread_id``, and ``user_id`` its user; Langfuse's handler's
keys (``langfuse_session_id``, ``langfuse_user_id``, ``langfuse_tags``) work as in
Langfuse. The user's other ``metadata`` and ``tags`` become the
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

_SESSION_KEYS = ("langfuse_session_id", "thread_id", "session_id", "conversation_id")
_USER_KEYS = ("langfuse_user_id", "user_id")
_LANGFUSE_TAGS = "langfuse_tags"
# LangChain's and LangGraph's own keys, and Langfuse's handler's (read above, not kept)
_OWN_KEYS = ("ls_", "lc_", "langgraph_", "checkpoint_", "__", "langfuse_")
_OWN_TAGS = ("seq:", "graph:", "map:", "retry:", "langsmith:", "langgraph:")


def trace_level(tags: Iterable[str] | None, metadata: Mapping[str, Any] | None) -> dict[str, str]:
    metadata = metadata or {}
    user_metadata = {
        str(k): to_jsonable(v)
        for k, v in metadata.items()
        if v is not None and not str(k).startswith(_OWN_KEYS)
    }
    user_tags = {str(t): "" for t in tags or () if not str(t).startswith(_OWN_TAGS)}
    extra = metadata.get(_LANGFUSE_TAGS)
    if isinstance(extra, (list, tuple)):
        user_tags.update((str(t), "") for t in extra if isinstance(t, str) and t)
    session = _first(metadata, _SESSION_KEYS, attrs.SESSION_ID)
    return trace_attributes(user_tags, session, _first(metadata, _USER_KEYS, attrs.USER_ID),
                            user_metadata)  # fmt: skip


def _first(metadata: Mapping[str, Any], keys: tuple[str, ...], attr: str) -> str | None:
    """The first of ``keys`` in the metadata (a session: LangSmith's conversation keys or
    Langfuse's ``langfuse_session_id``; a user: ``user_id``/``langfuse_user_id``), unless
    the span the run starts under already names one (``update_current_trace``): the
    app's own choice wins."""
    for key in keys:
        value = metadata.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            break
    else:
        return None
    ambient = real_span(trace_api.get_current_span())
    if (getattr(ambient, "attributes", None) or {}).get(attr):
        return None
    return str(value)
