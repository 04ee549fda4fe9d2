"""The three kinds of OpenAI call we trace, each as data: how to read its request,
its result and its stream."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ... import attributes as attrs
from . import request, response
from .accumulate import ChatAccumulator, ResponsesAccumulator


@dataclass(frozen=True)
class Operation:
    name: str  # gen_ai.operation.name; the span is named "{name} {model}"
    span_type: str
    request: Callable[[Mapping[str, Any], dict[str, Any]], None]
    inputs: Callable[[Mapping[str, Any]], Any]
    response: Callable[[Any, dict[str, Any]], Any]
    accumulator: Callable[[], Any] | None


CHAT = Operation(
    name=attrs.GEN_AI_OPERATION_CHAT,
    span_type=attrs.SpanType.LLM,
    request=request.chat_request,
    inputs=request.chat_inputs,
    response=response.chat_response,
    accumulator=ChatAccumulator,
)

RESPONSES = Operation(
    name=attrs.GEN_AI_OPERATION_CHAT,
    span_type=attrs.SpanType.LLM,
    request=request.responses_request,
    inputs=request.responses_inputs,
    response=response.responses_response,
    accumulator=ResponsesAccumulator,
)

EMBEDDINGS = Operation(
    name=attrs.GEN_AI_OPERATION_EMBEDDINGS,
    span_type=attrs.SpanType.EMBEDDING,
    request=request.embeddings_request,
    inputs=request.embeddings_inputs,
    response=response.embeddings_response,
    accumulator=None,
)
