"""The OpenAI client's targets and how each is wrapped; patching itself is shared."""

from __future__ import annotations

from typing import Any

from ..llm_client import wrappers
from ..llm_client.patching import Patcher
from ..llm_client.settings import Current
from ..llm_client.targets import Target, pair
from . import request
from .operations import CHAT, EMBEDDINGS, RESPONSES

CURRENT = Current()

_CHAT = "openai.resources.chat.completions"
_BETA_CHAT = "openai.resources.beta.chat.completions"  # parse/stream before openai 1.92
_RESPONSES = "openai.resources.responses"
_EMBEDDINGS = "openai.resources.embeddings"

TARGETS: tuple[Target, ...] = (
    *pair(_CHAT, "Completions", "create", CHAT),
    *pair(_CHAT, "Completions", "parse", CHAT),
    *pair(_CHAT, "Completions", "stream", None),
    *pair(_BETA_CHAT, "Completions", "parse", CHAT),
    *pair(_BETA_CHAT, "Completions", "stream", None),
    *pair(_RESPONSES, "Responses", "create", RESPONSES),
    *pair(_RESPONSES, "Responses", "parse", RESPONSES),
    *pair(_RESPONSES, "Responses", "stream", None),
    *pair(_EMBEDDINGS, "Embeddings", "create", EMBEDDINGS),
)


def _make_wrapper(target: Target, openai: Any) -> Any:
    if target.operation is None:  # the helpers call create, which makes the span
        return wrappers.stream_helper(target.is_async, CURRENT)
    return wrappers.call_wrapper(
        target.operation, target.is_async, openai, CURRENT, request.provider_attributes
    )


def _prepare(openai: Any) -> None:
    try:
        from openai.lib.azure import BaseAzureClient

        request.AZURE_CLIENT_TYPES = (BaseAzureClient,)
    except ImportError:
        request.AZURE_CLIENT_TYPES = ()


PATCHER = Patcher(
    library="openai",
    extra="openai",
    min_version=(1, 40),
    targets=TARGETS,
    make_wrapper=_make_wrapper,
    current=CURRENT,
    prepare=_prepare,
)
