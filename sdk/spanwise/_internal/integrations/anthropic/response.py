"""Span attributes and the captured output of an Anthropic ``Message``.

Reads only public fields, with ``getattr`` defaults so a field missing in another
client version yields no attribute rather than an error.
"""

from __future__ import annotations

from typing import Any

from ... import attributes as attrs
from ..llm_client.usage import put_cache_beside_input


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and value.__class__ is not bool else None


def usage_attributes(usage: Any, out: dict[str, Any]) -> None:
    """Token counts. Anthropic reports cache reads and writes *beside* ``input_tokens``;
    ``gen_ai.usage.input_tokens`` is every input token (OTel GenAI, and the pricing's
    "totals with subsets" rule), so the parts are added to it here."""
    if usage is None:
        return
    put_cache_beside_input(
        out,
        _count(getattr(usage, "input_tokens", None)),
        _count(getattr(usage, "cache_read_input_tokens", None)) or 0,
        _count(getattr(usage, "cache_creation_input_tokens", None)) or 0,
    )
    output = _count(getattr(usage, "output_tokens", None))
    if output is not None:
        out[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] = output


def content_block(block: Any) -> dict[str, Any]:
    """One content block as plain data (text, tool use, thinking; others as dumped)."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return {"type": "text", "text": block.text}
    if kind in ("tool_use", "server_tool_use"):
        return {"type": kind, "id": block.id, "name": block.name, "input": block.input}
    if kind == "thinking":
        return {"type": "thinking", "thinking": block.thinking}
    if kind == "redacted_thinking":
        return {"type": kind}  # encrypted: nothing a person can read
    to_dict = getattr(block, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return {"type": kind}


def finish(
    out: dict[str, Any],
    model: Any,
    message_id: Any,
    stop_reason: Any,
    usage: Any,
) -> None:
    if isinstance(model, str) and model:
        out[attrs.GEN_AI_RESPONSE_MODEL] = model
    if isinstance(message_id, str) and message_id:
        out[attrs.GEN_AI_RESPONSE_ID] = message_id
    if isinstance(stop_reason, str):
        out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = (stop_reason,)  # a tuple, as spans keep it
    usage_attributes(usage, out)


def message_response(result: Any, out: dict[str, Any]) -> Any:
    """Attributes of a ``Message`` into ``out``; returns the output to capture."""
    finish(
        out,
        getattr(result, "model", None),
        getattr(result, "id", None),
        getattr(result, "stop_reason", None),
        getattr(result, "usage", None),
    )
    content = getattr(result, "content", None) or ()
    return {"role": "assistant", "content": [content_block(b) for b in content]}
