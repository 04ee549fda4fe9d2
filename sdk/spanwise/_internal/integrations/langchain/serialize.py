"""LangChain values (messages, documents, prompt values) as plain JSON-able data."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

_MAX_DEPTH = 8

# LangChain message types → the chat roles every LLM UI understands.
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def message_to_dict(message: Any) -> dict[str, Any]:
    """A ``BaseMessage`` as ``{"role", "content", ...}`` (OpenAI-style chat message)."""
    kind = getattr(message, "type", "")
    if kind.endswith("MessageChunk"):
        # Streamed messages: "AIMessageChunk" is an "ai" message
        kind = kind[: -len("MessageChunk")].lower()
    role = _ROLES.get(kind) or getattr(message, "role", None) or kind or "unknown"
    out: dict[str, Any] = {"role": role, "content": to_jsonable(message.content)}
    name = getattr(message, "name", None)
    if name:
        out["name"] = name
    tool_calls = getattr(message, "tool_calls", None)
    if tool_calls:
        out["tool_calls"] = [
            {"id": c.get("id"), "name": c.get("name"), "arguments": to_jsonable(c.get("args"))}
            for c in tool_calls
        ]
    tool_call_id = getattr(message, "tool_call_id", None)
    if tool_call_id:
        out["tool_call_id"] = tool_call_id
    status = getattr(message, "status", None)
    if kind == "tool" and status and status != "success":
        out["status"] = status
    return out


def document_to_dict(document: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"page_content": document.page_content}
    if getattr(document, "id", None):
        out["id"] = document.id
    if document.metadata:
        out["metadata"] = to_jsonable(document.metadata)
    return out


def to_jsonable(value: Any, depth: int = 0) -> Any:
    """Convert what LangChain passes around into JSON-able values; other objects are
    left for the generic encoder (pydantic models, dataclasses, repr)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)  # str subclasses (e.g. TextAccessor) become plain strings
    if depth > _MAX_DEPTH:
        return repr(value)
    from langchain_core.documents import Document
    from langchain_core.messages import BaseMessage
    from langchain_core.prompt_values import PromptValue, StringPromptValue

    if isinstance(value, BaseMessage):
        return message_to_dict(value)
    if isinstance(value, Document):
        return document_to_dict(value)
    if isinstance(value, StringPromptValue):
        return value.text  # a completion model's prompt: text, not an invented chat turn
    if isinstance(value, PromptValue):
        return [message_to_dict(m) for m in value.to_messages()]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [to_jsonable(v, depth + 1) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # LangGraph's Command / Interrupt: the messages inside as chat messages too
        return {
            f.name: to_jsonable(getattr(value, f.name, None), depth + 1)
            for f in dataclasses.fields(value)
        }
    if type(value).__name__ == "Send" and type(value).__module__.startswith("langgraph"):
        # what a conditional edge returns to fan out: the node and the state it gets
        return {"node": value.node, "arg": to_jsonable(value.arg, depth + 1)}
    return value
