"""``propagate_attributes``: session, user, tags and metadata for every trace a block of
code makes (Langfuse's ``propagate_attributes``, OpenInference's ``using_attributes``).

A web handler sets the user once, around everything it runs: each span started in the
block (asyncio tasks and ``copy_context`` included, as with the current span) carries
them as ``update_current_trace`` would set them, and so does the span current where the
block starts. Blocks nest (inner values win per key). A later ``update_current_trace``
in a span wins over the block's values (its write is later).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import trace as trace_api

from .errors import log_internal_error
from .provider import START_HOOKS
from .spans import check_mappings, merge_trace_attributes, set_trace_attributes, trace_attributes

__all__ = ["propagate_attributes"]

_SCOPE: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "spanwise_trace_scope", default=None
)


def _apply(span: Any) -> None:
    """A start hook (provider.START_HOOKS): the block's attributes on each new span."""
    scope = _SCOPE.get()
    if scope is not None:
        set_trace_attributes(span, scope)


@contextlib.contextmanager
def propagate_attributes(
    *,
    session_id: str | None = None,
    user_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Iterator[None]:
    """Every trace made in this block gets ``session_id``, ``user_id``, ``tags`` and
    ``metadata``. Tags and metadata must be mappings (``TypeError`` otherwise)."""
    check_mappings(tags, metadata)
    token = None
    try:
        values = trace_attributes(tags, session_id, user_id, metadata)
        outer = _SCOPE.get() or {}
        scope = {**outer, **merge_trace_attributes(outer, values)}
        if _apply not in START_HOOKS:
            START_HOOKS.append(_apply)
        token = _SCOPE.set(scope)
        current = trace_api.get_current_span()
        if current.is_recording():
            set_trace_attributes(current, values)
    except Exception:
        log_internal_error("propagating trace attributes")
    try:
        yield
    finally:
        if token is not None:
            _SCOPE.reset(token)
