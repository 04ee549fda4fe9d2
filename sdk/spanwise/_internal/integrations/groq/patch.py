"""Groq's client (the ``groq`` package) has OpenAI's shape: its chat completions are
traced with the OpenAI integration's readers; Groq puts a stream's usage in the last
chunk's ``x_groq`` object instead of a chunk of its own."""

from __future__ import annotations

import dataclasses
import weakref
from typing import Any

from ... import attributes as attrs
from ..llm_client import wrappers
from ..llm_client.patching import Patcher
from ..llm_client.server import server_attributes
from ..llm_client.settings import Current
from ..llm_client.targets import Target, pair
from ..openai.accumulate import ChatAccumulator
from ..openai.operations import CHAT as OPENAI_CHAT

CURRENT = Current()
GROQ = "groq"


class StreamAccumulator(ChatAccumulator):
    """OpenAI's chunks, with Groq's usage (``x_groq.usage``, on the last chunk)."""

    __slots__ = ()

    def add(self, chunk: Any) -> bool:
        usage = getattr(getattr(chunk, "x_groq", None), "usage", None)
        if usage is not None:
            self.usage = usage
        return ChatAccumulator.add(self, chunk)


CHAT = dataclasses.replace(OPENAI_CHAT, accumulator=StreamAccumulator)

# id(client) -> (weak reference, base_url seen, attributes): one URL parse per client.
_CACHE: dict[int, tuple[Any, Any, dict[str, Any]]] = {}


def provider_attributes(resource: Any) -> dict[str, Any]:
    client = getattr(resource, "_client", None)
    base_url = getattr(client, "base_url", None)
    cached = _CACHE.get(id(client))
    if cached is not None and cached[0]() is client and cached[1] is base_url:
        return cached[2]
    found = {attrs.GEN_AI_PROVIDER_NAME: GROQ, attrs.GEN_AI_SYSTEM: GROQ}
    found.update(server_attributes(str(base_url) if base_url is not None else None))
    if client is not None:
        if len(_CACHE) >= 256:
            _CACHE.clear()
        try:
            _CACHE[id(client)] = (weakref.ref(client), base_url, found)
        except TypeError:
            pass
    return found


TARGETS: tuple[Target, ...] = pair("groq.resources.chat.completions", "Completions", "create", CHAT)


def _make_wrapper(target: Target, groq: Any) -> Any:
    op = target.operation
    assert op is not None
    return wrappers.call_wrapper(op, target.is_async, groq, CURRENT, provider_attributes)


PATCHER = Patcher(
    library="groq",
    extra="groq",
    min_version=(0, 9),
    targets=TARGETS,
    make_wrapper=_make_wrapper,
    current=CURRENT,
)
