"""The Anthropic client's targets and how each is wrapped; patching itself is shared."""

from __future__ import annotations

from typing import Any

from ... import attributes as attrs
from ..llm_client import wrappers
from ..llm_client.operation import Operation
from ..llm_client.patching import Patcher
from ..llm_client.settings import Current
from ..llm_client.targets import Target, pair
from . import request, response
from .accumulate import MessageAccumulator
from .helper import stream_manager

CURRENT = Current()

MESSAGES = Operation(
    name=attrs.GEN_AI_OPERATION_CHAT,
    span_type=attrs.SpanType.LLM,
    request=request.messages_request,
    inputs=request.messages_inputs,
    response=response.message_response,
    accumulator=MessageAccumulator,
)

_MESSAGES = "anthropic.resources.messages.messages"
_BETA_MESSAGES = "anthropic.resources.beta.messages.messages"

TARGETS: tuple[Target, ...] = (
    *pair(_MESSAGES, "Messages", "create", MESSAGES),
    *pair(_MESSAGES, "Messages", "parse", MESSAGES),
    *pair(_MESSAGES, "Messages", "stream", None),
    *pair(_BETA_MESSAGES, "Messages", "create", MESSAGES),
    *pair(_BETA_MESSAGES, "Messages", "parse", MESSAGES),
    *pair(_BETA_MESSAGES, "Messages", "stream", None),
)


def _make_wrapper(target: Target, anthropic: Any) -> Any:
    provider = request.provider_attributes
    if target.operation is None:  # the helper sends its own request: its span starts there
        return stream_manager(MESSAGES, target.is_async, CURRENT, provider)
    return wrappers.call_wrapper(target.operation, target.is_async, anthropic, CURRENT, provider)


def _prepare(anthropic: Any) -> None:
    # anthropic >= 2 makes a span of its own per request when OpenTelemetry is set up
    # (scope "com.anthropic.sdk.python[.platform]"): not exported for calls we trace.
    wrappers.register_native_scope("com.anthropic.sdk.python")


PATCHER = Patcher(
    library="anthropic",
    extra="anthropic",
    min_version=(0, 40),
    targets=TARGETS,
    make_wrapper=_make_wrapper,
    current=CURRENT,
    prepare=_prepare,
)
