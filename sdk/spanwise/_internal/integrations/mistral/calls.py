"""Mistral's chat and embeddings calls, read with the OpenAI integration's readers:
Mistral's API has the same shapes (messages, choices, ``prompt_tokens``/
``completion_tokens``), its SDK other argument names and a stream of events that each
hold one chunk (``event.data``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ... import attributes as attrs
from ..llm_client.operation import Operation
from ..llm_client.server import server_attributes
from ..llm_client.streams import tap_each
from ..openai import request as openai_request
from ..openai import response as openai_response
from ..openai.accumulate import ChatAccumulator

MISTRAL = "mistral_ai"  # gen_ai.provider.name (OTel GenAI's value)


def chat_request(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    openai_request.chat_request(kwargs, out)
    seed = kwargs.get("random_seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        out[attrs.GEN_AI_REQUEST_SEED] = seed


def stream_request(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    chat_request(kwargs, out)
    out[attrs.GEN_AI_REQUEST_STREAM] = True  # ``stream()`` streams without being asked


def embeddings_inputs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {"input": kwargs.get("inputs")}


class StreamAccumulator(ChatAccumulator):
    """Mistral's stream events: each one's ``data`` is an OpenAI-shaped chunk."""

    __slots__ = ()

    def add(self, event: Any) -> bool:
        return ChatAccumulator.add(self, getattr(event, "data", event))

    def tap(self, events: Iterable[Any], recorder: Any, owner: Any) -> Iterator[Any]:
        return tap_each(self, events, recorder, owner)


CHAT = Operation(
    name=attrs.GEN_AI_OPERATION_CHAT,
    span_type=attrs.SpanType.LLM,
    request=chat_request,
    inputs=openai_request.chat_inputs,
    response=openai_response.chat_response,
    accumulator=None,
)
STREAM = dataclasses.replace(CHAT, request=stream_request, accumulator=StreamAccumulator)
EMBEDDINGS = Operation(
    name=attrs.GEN_AI_OPERATION_EMBEDDINGS,
    span_type=attrs.SpanType.EMBEDDING,
    request=lambda kwargs, out: None,
    inputs=embeddings_inputs,
    response=openai_response.embeddings_response,
    accumulator=None,
)


def provider_attributes(resource: Any) -> dict[str, Any]:
    """``mistral_ai`` and the server the resource's SDK sends to."""
    found: dict[str, Any] = {attrs.GEN_AI_PROVIDER_NAME: MISTRAL, attrs.GEN_AI_SYSTEM: MISTRAL}
    get = getattr(getattr(resource, "sdk_configuration", None), "get_server_details", None)
    if callable(get):
        try:
            found.update(server_attributes(get()[0]))
        except Exception:
            pass  # no server attributes; the call is traced all the same
    return found
