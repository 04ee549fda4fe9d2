"""What each kind of Agents SDK span becomes: its Spanwise name, type and attributes.

The SDK's span data are read through public attributes with ``getattr`` defaults, so
a field another SDK version lacks costs an attribute, never the run.
"""

from __future__ import annotations

import json
from typing import Any

from ... import attributes as attrs
from ..openai.response import responses_response

# Kinds that repeat their parent (the run's task is the trace; a turn is one step of
# the agent): no span of their own, their children go to the parent.
FOLDED = frozenset({"task", "turn"})
# Kinds that are one model call: an LLM span, unless the OpenAI client's own call
# is traced already (spanwise.openai.autolog()), which then nests where they would.
MODEL_CALLS = frozenset({"response", "generation"})

_GENERATION_USAGE = (
    ("input_tokens", attrs.GEN_AI_USAGE_INPUT_TOKENS),
    ("output_tokens", attrs.GEN_AI_USAGE_OUTPUT_TOKENS),
)

_TYPES = {
    "agent": attrs.SpanType.AGENT,
    "function": attrs.SpanType.TOOL,
    "mcp_tools": attrs.SpanType.TOOL,
    "response": attrs.SpanType.LLM,
    "generation": attrs.SpanType.LLM,
    "handoff": attrs.SpanType.CHAIN,
    "guardrail": attrs.SpanType.CHAIN,
    "custom": attrs.SpanType.CHAIN,
}


def kind_of(data: Any) -> str:
    """The span's kind; the SDK's own task/turn spans are "custom" spans marked so."""
    kind = getattr(data, "type", "") or ""
    if kind == "custom":
        inner = getattr(data, "data", None)
        marked = inner.get("sdk_span_type") if isinstance(inner, dict) else None
        if isinstance(marked, str) and marked:
            return marked
    return kind


def name_and_type(kind: str, data: Any) -> tuple[str, str]:
    span_type = _TYPES.get(kind, attrs.SpanType.UNKNOWN)
    name = getattr(data, "name", None)
    if kind == "handoff":
        return f"handoff to {getattr(data, 'to_agent', None) or '?'}", span_type
    if kind == "guardrail":
        return f"guardrail {name or '?'}", span_type
    if kind == "mcp_tools":
        return f"mcp list tools {getattr(data, 'server', None) or ''}".rstrip(), span_type
    if kind in MODEL_CALLS:
        model = getattr(data, "model", None) or getattr(
            getattr(data, "response", None), "model", None
        )
        return (f"{kind} {model}" if model else kind), span_type
    return (name if isinstance(name, str) and name else kind or "span"), span_type


def start_attributes(kind: str, data: Any) -> dict[str, Any]:
    """Attributes known when the span starts (the agent's tools, a handoff's ends)."""
    out: dict[str, Any] = {}
    if kind == "agent":
        for key in ("tools", "handoffs"):
            value = getattr(data, key, None)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                out[f"openai_agents.agent.{key}"] = value
        output_type = getattr(data, "output_type", None)
        if isinstance(output_type, str):
            out["openai_agents.agent.output_type"] = output_type
    elif kind == "handoff":
        for key in ("from_agent", "to_agent"):
            value = getattr(data, key, None)
            if isinstance(value, str):
                out[f"openai_agents.handoff.{key}"] = value
    return out


def _json_or_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def end_values(kind: str, data: Any, out: dict[str, Any]) -> tuple[Any, Any]:
    """(inputs, outputs) of an ending span, its other attributes into ``out``;
    ``None`` for what it does not have."""
    if kind == "function":
        return _json_or_text(getattr(data, "input", None)), getattr(data, "output", None)
    if kind == "guardrail":
        triggered = getattr(data, "triggered", None)
        if isinstance(triggered, bool):
            out["openai_agents.guardrail.triggered"] = triggered
        return None, {"triggered": triggered}
    if kind == "mcp_tools":
        return None, getattr(data, "result", None)
    if kind == "custom":
        return getattr(data, "data", None), None
    if kind == "response":
        return response_values(data, out)
    if kind == "generation":
        return generation_values(data, out)
    return None, None


def response_values(data: Any, out: dict[str, Any]) -> tuple[Any, Any]:
    """A Responses API call as the OpenAI integration records it."""
    response = getattr(data, "response", None)
    out[attrs.GEN_AI_PROVIDER_NAME] = out[attrs.GEN_AI_SYSTEM] = attrs.GEN_AI_PROVIDER_OPENAI
    out[attrs.GEN_AI_OPERATION_NAME] = attrs.GEN_AI_OPERATION_CHAT
    model = getattr(response, "model", None)
    if isinstance(model, str) and model:
        out[attrs.GEN_AI_REQUEST_MODEL] = model
    output = responses_response(response, out) if response is not None else None
    inputs: dict[str, Any] = {"input": getattr(data, "input", None)}
    instructions = getattr(response, "instructions", None)
    if isinstance(instructions, str) and instructions:
        inputs["instructions"] = instructions
    return inputs, output


def generation_values(data: Any, out: dict[str, Any]) -> tuple[Any, Any]:
    """A chat-completions call (``OpenAIChatCompletionsModel``, LiteLLM models)."""
    out[attrs.GEN_AI_OPERATION_NAME] = attrs.GEN_AI_OPERATION_CHAT
    model = getattr(data, "model", None)
    if isinstance(model, str) and model:
        out[attrs.GEN_AI_REQUEST_MODEL] = model
        if "/" not in model:  # "litellm/anthropic/…" names its own provider
            out[attrs.GEN_AI_PROVIDER_NAME] = attrs.GEN_AI_PROVIDER_OPENAI
    usage = getattr(data, "usage", None)
    if isinstance(usage, dict):
        for key, attr in _GENERATION_USAGE:
            value = usage.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                out[attr] = value
    output = getattr(data, "output", None)
    if isinstance(output, list) and len(output) == 1:
        output = output[0]
    return {"messages": getattr(data, "input", None)}, output


def output_text(data: Any) -> Any:
    """What a model call answered, for its agent's and the run's output."""
    response = getattr(data, "response", None)
    text = getattr(response, "output_text", None)
    if isinstance(text, str) and text:
        return text
    output = getattr(data, "output", None)
    if isinstance(output, list) and output:
        last = output[-1]
        content = last.get("content") if isinstance(last, dict) else None
        if isinstance(content, str) and content:
            return content
    return None
