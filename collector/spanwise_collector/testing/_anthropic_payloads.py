"""Deterministic Anthropic Messages API bodies and stream events, from the request only.

Rules (so tests can assert exact values):
- reply text: ``"echo: " + <last user text>`` (``"echo"`` when there is none); after a
  ``tool_result`` block, ``"echo: " + <its content>``.
- tools in the request (the last message holds no tool result, ``tool_choice`` is not
  ``none``): one ``tool_use`` block of the first tool (or the one ``tool_choice`` names),
  its input built from ``input_schema`` by `fake_value`; stop reason ``tool_use``.
- prompt words P = whitespace-separated words of ``system`` and every message text
  (min 1). Without ``cache_control`` anywhere in the request: ``input_tokens`` = P. With
  it: ``cache_read_input_tokens`` = P // 2, ``cache_creation_input_tokens`` = P // 4 and
  ``input_tokens`` = the rest (Anthropic reports the cache parts *beside* input_tokens).
- ``output_tokens``: words of the reply text or of the tool input JSON (min 1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ._openai_payloads import fake_value, split_text, words

__all__ = ["error_body", "message", "message_events"]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if not isinstance(block, dict):
                continue
            if isinstance(block.get("text"), str):
                parts.append(block["text"])
            elif block.get("type") == "tool_result":
                parts.append(_text(block.get("content")))
        return " ".join(parts)
    return ""


def _has_cache_control(value: Any) -> bool:
    if isinstance(value, dict):
        return "cache_control" in value or any(_has_cache_control(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_cache_control(v) for v in value)
    return False


def _tool(req: dict[str, Any]) -> dict[str, Any] | None:
    tools = [t for t in req.get("tools") or [] if isinstance(t, dict)]
    if not tools:
        return None
    choice = req.get("tool_choice") or {"type": "auto"}
    if choice.get("type") == "none":
        return None
    if choice.get("type") == "tool":
        return next((t for t in tools if t.get("name") == choice.get("name")), tools[0])
    return tools[0]


def _plan(req: dict[str, Any]) -> tuple[str, dict[str, Any] | None, dict[str, int]]:
    """(reply text, tool to call or None, usage) for a request."""
    messages = [m for m in req.get("messages") or [] if isinstance(m, dict)]
    prompt = " ".join([_text(req.get("system"))] + [_text(m.get("content")) for m in messages])
    total = max(1, words(prompt))
    usage = {"input_tokens": total, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    if _has_cache_control(req):
        read, written = total // 2, total // 4
        usage = {
            "input_tokens": total - read - written,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": written,
        }
    last = messages[-1] if messages else {}
    content = last.get("content")
    if isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    ):
        return f"echo: {_text(content)}", None, usage
    tool = _tool(req)
    if tool is not None:
        return "", tool, usage
    user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    text = _text(user.get("content")) if user else ""
    return (f"echo: {text}" if text else "echo"), None, usage


def _tool_input(tool: dict[str, Any]) -> dict[str, Any]:
    return fake_value(tool.get("input_schema") or {"type": "object"}) or {}


def message(req: dict[str, Any], rid: str) -> dict[str, Any]:
    text, tool, usage = _plan(req)
    if tool is None:
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        completion = text
    else:
        tool_input = _tool_input(tool)
        completion = json.dumps(tool_input)
        content = [
            {"type": "tool_use", "id": f"toolu_{rid}", "name": tool["name"], "input": tool_input}
        ]
    return {
        "id": f"msg_{rid}",
        "type": "message",
        "role": "assistant",
        "model": req.get("model", ""),
        "content": content,
        "stop_reason": "tool_use" if tool is not None else "end_turn",
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": max(1, words(completion))},
    }


def message_events(req: dict[str, Any], rid: str, n: int) -> Iterator[dict[str, Any]]:
    """message_start, one content block in `n` deltas, message_delta, message_stop."""
    text, tool, usage = _plan(req)
    yield {
        "type": "message_start",
        "message": {
            "id": f"msg_{rid}",
            "type": "message",
            "role": "assistant",
            "model": req.get("model", ""),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": 1},
        },
    }
    if tool is None:
        start: dict[str, Any] = {"type": "text", "text": ""}
        pieces = [{"type": "text_delta", "text": p} for p in split_text(text, n)]
        completion = text
    else:
        completion = json.dumps(_tool_input(tool))
        start = {"type": "tool_use", "id": f"toolu_{rid}", "name": tool["name"], "input": {}}
        pieces = [
            {"type": "input_json_delta", "partial_json": p} for p in split_text(completion, n)
        ]
    yield {"type": "content_block_start", "index": 0, "content_block": start}
    yield {"type": "ping"}
    for delta in pieces:
        yield {"type": "content_block_delta", "index": 0, "delta": delta}
    yield {"type": "content_block_stop", "index": 0}
    yield {
        "type": "message_delta",
        "delta": {
            "stop_reason": "tool_use" if tool is not None else "end_turn",
            "stop_sequence": None,
        },
        # cumulative, as the API sends it: input and cache counts again, the final output
        "usage": {**usage, "output_tokens": max(1, words(completion))},
    }
    yield {"type": "message_stop"}


def error_body(status: int, message_text: str) -> dict[str, Any]:
    kind = {
        400: "invalid_request_error",
        401: "authentication_error",
        404: "not_found_error",
        429: "rate_limit_error",
        529: "overloaded_error",
    }.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message_text}}
