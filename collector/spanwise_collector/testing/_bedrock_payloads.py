"""Deterministic Amazon Bedrock Runtime Converse API bodies and stream events, from the request only.

Rules (so tests can assert exact values):
- reply text: ``"echo: " + <text of the last user message>`` (its text blocks joined with a
  space; ``"echo"`` when there is none); when the last message holds a ``toolResult``
  block, ``"echo: " + <its content>`` (text blocks as they are, ``json`` blocks as
  ``json.dumps``, joined with a space).
- ``toolConfig.tools`` with a ``toolSpec`` (the last message holds no ``toolResult``): one
  ``toolUse`` block ``{"toolUseId": "tooluse_<rid>", "name", "input"}`` of the first tool
  (or the one ``toolChoice.tool`` names), its input built from ``inputSchema.json`` by
  `fake_value`; ``stopReason`` ``tool_use``, else ``end_turn``. (Bedrock's ``toolChoice`` is
  ``auto``, ``any`` or ``tool``; a ``none`` key, which boto3 would refuse, means no tool.)
- prompt words P = whitespace-separated words of every ``system`` text block and every
  message's text blocks, plus ``json.dumps`` of every ``toolUse`` input and the content of
  every ``toolResult`` (min 1). Without a ``cachePoint`` block anywhere in the request:
  ``inputTokens`` = P. With one: ``cacheReadInputTokens`` = P // 2,
  ``cacheWriteInputTokens`` = P // 4 and ``inputTokens`` = the rest (Bedrock, like
  Anthropic, reports the cache parts *beside* inputTokens).
- ``outputTokens``: words of the reply text or of the toolUse input JSON (min 1);
  ``totalTokens``: all of the above summed; ``metrics``: ``{"latencyMs": 1}``.
- converse-stream: ``messageStart``; the text in `n` ``contentBlockDelta`` pieces by
  `split_text` (a tool use: ``contentBlockStart`` with its id and name, then its input JSON
  in one delta); ``contentBlockStop``; ``messageStop``; ``metadata`` with usage and metrics.
  Each event is one ``application/vnd.amazon.eventstream`` message (`encode_event`),
  written as botocore yields it: ``{"messageStart": {"role": "assistant"}}``.
- invoke (InvokeModel with Claude's Messages body): the Anthropic reply of
  `_anthropic_payloads.message`, its counts also in the ``X-Amzn-Bedrock-*-Token-Count``
  headers (`invoke_headers`).
- other model families' InvokeModel bodies (Titan, Llama, Mistral, Nova): `_bedrock_families`.
- invoke-with-response-stream: Claude's stream events (`_anthropic_payloads.message_events`),
  each as ``{"chunk": {"bytes": <base64 of its JSON>}}``; the last one (``message_stop``)
  carries ``amazon-bedrock-invocationMetrics`` with the counts, as Bedrock adds them.
- errors: ``{"message": ...}`` with the type in the ``x-amzn-ErrorType`` header
  (`error_type`), which botocore turns into ``client.exceptions.<type>``.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

from ._openai_payloads import fake_value, split_text, words

__all__ = ["chunk_event", "converse", "converse_events", "encode_event", "error_body",
           "error_type", "invoke_headers", "invoke_stream_events"]  # fmt: skip

LATENCY_MS = 1

_ERROR_TYPES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}


def _blocks(content: Any) -> list[dict[str, Any]]:
    return [b for b in content or [] if isinstance(b, dict)] if isinstance(content, list) else []


def _text(content: Any) -> str:
    return " ".join(b["text"] for b in _blocks(content) if isinstance(b.get("text"), str))


def _result_text(result: dict[str, Any]) -> str:
    """A ``toolResult``'s content: text blocks as they are, json blocks as JSON."""
    parts = []
    for block in _blocks(result.get("content")):
        if isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif "json" in block:
            parts.append(json.dumps(block["json"]))
    return " ".join(parts)


def _tool_results(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = _blocks(message.get("content"))
    return [b["toolResult"] for b in blocks if isinstance(b.get("toolResult"), dict)]


def _prompt_words(req: dict[str, Any], messages: list[dict[str, Any]]) -> int:
    pieces = [_text(req.get("system"))]
    for message in messages:
        pieces.append(_text(message.get("content")))
        for block in _blocks(message.get("content")):
            use = block.get("toolUse")
            if isinstance(use, dict):
                pieces.append(json.dumps(use.get("input") or {}))
        pieces += [_result_text(r) for r in _tool_results(message)]
    return max(1, words(" ".join(pieces)))


def _has_cache_point(value: Any) -> bool:
    if isinstance(value, dict):
        return "cachePoint" in value or any(_has_cache_point(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_cache_point(v) for v in value)
    return False


def _tool(req: dict[str, Any]) -> dict[str, Any] | None:
    """The ``toolSpec`` the fake calls, or None for a text reply."""
    config = req.get("toolConfig") or {}
    specs = [
        t["toolSpec"]
        for t in config.get("tools") or []
        if isinstance(t, dict) and isinstance(t.get("toolSpec"), dict)
    ]
    choice = config.get("toolChoice") or {}
    if not specs or "none" in choice:
        return None
    wanted = (choice.get("tool") or {}).get("name")
    return next((s for s in specs if s.get("name") == wanted), specs[0])


def _plan(req: dict[str, Any]) -> tuple[str, dict[str, Any] | None, int]:
    """(reply text, toolSpec to call or None, prompt words) for a request."""
    messages = [m for m in req.get("messages") or [] if isinstance(m, dict)]
    prompt = _prompt_words(req, messages)
    results = _tool_results(messages[-1]) if messages else []
    if results:
        return f"echo: {' '.join(_result_text(r) for r in results)}", None, prompt
    tool = _tool(req)
    if tool is not None:
        return "", tool, prompt
    user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    text = _text(user.get("content")) if user else ""
    return (f"echo: {text}" if text else "echo"), None, prompt


def _tool_use(tool: dict[str, Any], rid: str) -> dict[str, Any]:
    schema = (tool.get("inputSchema") or {}).get("json") or {"type": "object"}
    return {
        "toolUseId": f"tooluse_{rid}",
        "name": tool.get("name", "tool"),
        "input": fake_value(schema) or {},
    }


def _usage(req: dict[str, Any], prompt: int, completion: str) -> dict[str, int]:
    output = max(1, words(completion))
    if not _has_cache_point(req):
        return {"inputTokens": prompt, "outputTokens": output, "totalTokens": prompt + output}
    read, written = prompt // 2, prompt // 4
    return {
        "inputTokens": prompt - read - written,
        "outputTokens": output,
        "totalTokens": prompt + output,
        "cacheReadInputTokens": read,
        "cacheWriteInputTokens": written,
    }


def _reply(req: dict[str, Any], rid: str) -> tuple[dict[str, Any], str, dict[str, int]]:
    """(content block, stop reason, usage) of the whole reply."""
    text, tool, prompt = _plan(req)
    if tool is None:
        return {"text": text}, "end_turn", _usage(req, prompt, text)
    use = _tool_use(tool, rid)
    return {"toolUse": use}, "tool_use", _usage(req, prompt, json.dumps(use["input"]))


def converse(req: dict[str, Any], rid: str) -> dict[str, Any]:
    """The body of ``POST /model/{modelId}/converse``."""
    block, stop, usage = _reply(req, rid)
    return {
        "output": {"message": {"role": "assistant", "content": [block]}},
        "stopReason": stop,
        "usage": usage,
        "metrics": {"latencyMs": LATENCY_MS},
    }


def converse_events(req: dict[str, Any], rid: str, n: int) -> Iterator[dict[str, Any]]:
    """``POST /model/{modelId}/converse-stream``'s events, one-key dicts as botocore yields them."""
    block, stop, usage = _reply(req, rid)
    yield {"messageStart": {"role": "assistant"}}
    if "toolUse" in block:
        use = block["toolUse"]
        start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
        yield {"contentBlockStart": {"contentBlockIndex": 0, "start": start}}
        deltas = [{"toolUse": {"input": json.dumps(use["input"])}}]
    else:
        deltas = [{"text": piece} for piece in split_text(block["text"], n)]
    for delta in deltas:
        yield {"contentBlockDelta": {"contentBlockIndex": 0, "delta": delta}}
    yield {"contentBlockStop": {"contentBlockIndex": 0}}
    yield {"messageStop": {"stopReason": stop}}
    yield {"metadata": {"usage": usage, "metrics": {"latencyMs": LATENCY_MS}}}


def _header(name: str, value: str) -> bytes:
    """One event stream header of type 7 (string)."""
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack(">B", len(raw_name))
        + raw_name
        + struct.pack(">BH", 7, len(raw_value))
        + raw_value
    )


def encode_event(event: dict[str, Any]) -> bytes:
    """A one-key event as an ``application/vnd.amazon.eventstream`` message: prelude (total
    and headers length, uint32 BE, and their CRC32), headers, JSON payload, message CRC32."""
    [(event_type, payload)] = event.items()
    headers = (
        _header(":event-type", event_type)
        + _header(":content-type", "application/json")
        + _header(":message-type", "event")
    )
    body = json.dumps(payload, separators=(",", ":")).encode()
    prelude = struct.pack(">II", 12 + len(headers) + len(body) + 4, len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + body
    return message + struct.pack(">I", zlib.crc32(message))


def error_type(status: int) -> str:
    """The ``x-amzn-ErrorType`` of an HTTP status."""
    default = "InternalServerException" if status >= 500 else "ValidationException"
    return _ERROR_TYPES.get(status, default)


def error_body(status: int, message: str) -> dict[str, Any]:
    del status  # the type travels in the x-amzn-ErrorType header
    return {"message": message}


def invoke_headers(message: dict[str, Any], rid: str) -> dict[str, str]:
    """InvokeModel's token-count headers for a Claude reply (Bedrock sends them for every
    model family; the cache counts only when there are any)."""
    usage = message.get("usage") or {}
    headers = {
        "x-amzn-RequestId": rid,
        "X-Amzn-Bedrock-Input-Token-Count": str(usage.get("input_tokens", 0)),
        "X-Amzn-Bedrock-Output-Token-Count": str(usage.get("output_tokens", 0)),
    }
    if usage.get("cache_read_input_tokens"):
        headers["X-Amzn-Bedrock-Cache-Read-Input-Token-Count"] = str(
            usage["cache_read_input_tokens"]
        )
    if usage.get("cache_creation_input_tokens"):
        headers["X-Amzn-Bedrock-Cache-Write-Input-Token-Count"] = str(
            usage["cache_creation_input_tokens"]
        )
    return headers


def invoke_stream_events(claude_events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Claude's stream events as InvokeModelWithResponseStream sends them."""
    usage: dict[str, Any] = {}
    for event in claude_events:
        if event.get("type") == "message_start":
            usage.update(event["message"].get("usage") or {})
        elif event.get("type") == "message_delta":
            usage.update(event.get("usage") or {})
        elif event.get("type") == "message_stop":
            metrics = {
                "inputTokenCount": usage.get("input_tokens", 0),
                "outputTokenCount": usage.get("output_tokens", 0),
                "invocationLatency": 1,
                "firstByteLatency": 1,
            }
            if usage.get("cache_read_input_tokens"):
                metrics["cacheReadInputTokenCount"] = usage["cache_read_input_tokens"]
            if usage.get("cache_creation_input_tokens"):
                metrics["cacheWriteInputTokenCount"] = usage["cache_creation_input_tokens"]
            event = {**event, "amazon-bedrock-invocationMetrics": metrics}
        yield chunk_event(event)


def chunk_event(data: dict[str, Any]) -> dict[str, Any]:
    """One chunk of a model's own stream JSON as InvokeModelWithResponseStream sends it."""
    raw = base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    return {"chunk": {"bytes": raw}}
