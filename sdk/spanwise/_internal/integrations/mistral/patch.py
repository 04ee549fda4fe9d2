"""The ``mistralai`` client's targets and how each is wrapped; patching is shared."""

from __future__ import annotations

from typing import Any

from ..llm_client import wrappers
from ..llm_client.patching import Patcher
from ..llm_client.settings import Current
from ..llm_client.targets import Target
from .calls import CHAT, EMBEDDINGS, STREAM, provider_attributes

CURRENT = Current()

_CHAT = "mistralai.client.chat"
_EMBEDDINGS = "mistralai.client.embeddings"

TARGETS: tuple[Target, ...] = (
    Target(_CHAT, "Chat.complete", CHAT, False),
    Target(_CHAT, "Chat.complete_async", CHAT, True),
    Target(_CHAT, "Chat.stream", STREAM, False),
    Target(_CHAT, "Chat.stream_async", STREAM, True),
    Target(_EMBEDDINGS, "Embeddings.create", EMBEDDINGS, False),
    Target(_EMBEDDINGS, "Embeddings.create_async", EMBEDDINGS, True),
)


def _make_wrapper(target: Target, client: Any) -> Any:
    from mistralai.client.utils.eventstreaming import EventStream, EventStreamAsync

    op = target.operation
    assert op is not None
    if target.is_async:
        return wrappers.async_call(op, EventStreamAsync, CURRENT, provider_attributes)
    return wrappers.sync_call(op, EventStream, CURRENT, provider_attributes)


PATCHER = Patcher(
    library="mistralai.client",
    extra="mistral",
    min_version=(1, 0),
    targets=TARGETS,
    make_wrapper=_make_wrapper,
    current=CURRENT,
)
