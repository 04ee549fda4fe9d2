"""The three kinds of OpenAI call we trace."""

from __future__ import annotations

from ... import attributes as attrs
from ..llm_client.operation import Operation
from . import request, response
from .accumulate import ChatAccumulator, ResponsesAccumulator

CHAT = Operation(
    name=attrs.GEN_AI_OPERATION_CHAT,
    span_type=attrs.SpanType.LLM,
    request=request.chat_request,
    inputs=request.chat_inputs,
    response=response.chat_response,
    accumulator=ChatAccumulator,
    prepare=request.chat_stream_usage,
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
