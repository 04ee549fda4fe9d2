"""Deterministic OpenAI API response bodies, derived only from the request.

Rules (so tests can assert exact values):
- reply text: ``"echo: " + <last user text>`` (``"echo"`` when there is none); after a
  tool result, ``"echo: " + <tool output>``.
- prompt tokens: whitespace-separated words in every message/instruction text (min 1);
  completion tokens: words in the reply text or in the tool-call arguments (min 1);
  cached tokens = prompt // 2; reasoning tokens = completion // 2 (included in completion).
- tools in the request (and the last message is not a tool result, tool_choice != "none"):
  one call of the first tool (or the one tool_choice names), arguments built from its
  JSON schema by `fake_value`.
- structured output (json_schema): content is `fake_value(schema)` as JSON.
- embeddings: `dims` floats per input from sha256(input), multiples of 1/128 so float
  and base64 (float32) encodings agree exactly.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Iterator
from typing import Any

__all__ = [
    "CREATED",
    "chat_chunks",
    "chat_completion",
    "embedding_vector",
    "embeddings_response",
    "error_body",
    "fake_value",
    "response_events",
    "responses_response",
    "split_text",
    "usage_numbers",
    "words",
]

CREATED = 1_700_000_000


def words(text: str) -> int:
    return len(text.split())


def _text(content: Any) -> str:
    """Text of a message content: a string or a list of parts (text/input_text/output_text)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            p.get("text", "")
            for p in content
            if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return str(content)


def split_text(text: str, n: int) -> list[str]:
    """`n` consecutive pieces whose concatenation is `text` (some empty if text is short)."""
    n = max(1, n)
    size = len(text)
    return [text[i * size // n : (i + 1) * size // n] for i in range(n)]


def usage_numbers(prompt_text: str, completion_text: str) -> tuple[int, int, int, int]:
    """(prompt, completion, cached, reasoning) token counts."""
    prompt = max(1, words(prompt_text))
    completion = max(1, words(completion_text))
    return prompt, completion, prompt // 2, completion // 2


def fake_value(schema: Any, defs: dict[str, Any] | None = None, _depth: int = 0) -> Any:
    """A deterministic value that validates against a (strict) JSON schema."""
    if not isinstance(schema, dict) or _depth > 8:
        return None
    defs = {**(defs or {}), **schema.get("$defs", {}), **schema.get("definitions", {})}
    if "$ref" in schema:
        return fake_value(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs, _depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return fake_value(options[0], defs, _depth + 1)
    typ = schema.get("type")
    if isinstance(typ, list):
        typ = next((t for t in typ if t != "null"), "null")
    if typ == "object" or "properties" in schema:
        return {k: fake_value(v, defs, _depth + 1) for k, v in schema.get("properties", {}).items()}
    if typ == "array":
        return [fake_value(schema.get("items", {}), defs, _depth + 1)]
    if typ == "string":
        return "text"
    if typ == "integer":
        return 1
    if typ == "number":
        return 1.5
    if typ == "boolean":
        return True
    return None


def error_body(status: int, message: str) -> dict[str, Any]:
    kind = {
        400: ("invalid_request_error", None),
        401: ("invalid_request_error", "invalid_api_key"),
        404: ("invalid_request_error", "model_not_found"),
        429: ("requests", "rate_limit_exceeded"),
    }.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind[0], "param": None, "code": kind[1]}}


# -- chat completions ----------------------------------------------------------------


def _tool_choice(req: dict[str, Any], tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The tool the fake calls, or None for a text reply."""
    if not tools:
        return None
    choice = req.get("tool_choice", "auto")
    if choice == "none":
        return None
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name") or choice.get("name")
        return next((t for t in tools if _tool_name(t) == wanted), tools[0])
    return tools[0]


def _tool_name(tool: dict[str, Any]) -> str:
    return (tool.get("function") or tool).get("name", "tool")


def _tool_args(tool: dict[str, Any]) -> str:
    params = (tool.get("function") or tool).get("parameters") or {"type": "object"}
    return json.dumps(fake_value(params) or {}, separators=(",", ":"))


def _chat_plan(req: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str]:
    """(content text, tool to call or None, prompt text) for a chat request."""
    messages = req.get("messages") or []
    prompt = " ".join(_text(m.get("content")) for m in messages if isinstance(m, dict))
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    if last.get("role") == "tool":
        return f"echo: {_text(last.get('content'))}", None, prompt
    tool = _tool_choice(req, req.get("tools") or [])
    if tool is not None:
        return "", tool, prompt
    fmt = req.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {}
        return json.dumps(fake_value(schema), separators=(",", ":")), None, prompt
    user = next(
        (m for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"), None
    )
    text = _text(user.get("content")) if user else ""
    if fmt.get("type") == "json_object":
        return json.dumps({"echo": text}), None, prompt
    return (f"echo: {text}" if text else "echo"), None, prompt


def _chat_usage(prompt: str, completion: str) -> dict[str, Any]:
    p, c, cached, reasoning = usage_numbers(prompt, completion)
    return {
        "prompt_tokens": p,
        "completion_tokens": c,
        "total_tokens": p + c,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def chat_completion(req: dict[str, Any], rid: str) -> dict[str, Any]:
    text, tool, prompt = _chat_plan(req)
    message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
    completion = text
    if tool is not None:
        args = _tool_args(tool)
        completion = args
        message["tool_calls"] = [
            {
                "id": f"call_{rid}",
                "type": "function",
                "function": {"name": _tool_name(tool), "arguments": args},
            }
        ]
    finish = "tool_calls" if tool is not None else "stop"
    choices = [
        {"index": i, "message": message, "logprobs": None, "finish_reason": finish}
        for i in range(max(1, int(req.get("n") or 1)))
    ]
    return {
        "id": f"chatcmpl-{rid}",
        "object": "chat.completion",
        "created": CREATED,
        "model": req.get("model", ""),
        "system_fingerprint": "fp_fake",
        "choices": choices,
        "usage": _chat_usage(prompt, completion),
    }


def chat_chunks(req: dict[str, Any], rid: str, n: int) -> Iterator[dict[str, Any]]:
    """A role chunk, `n` content (or tool-argument) chunks, a finish chunk, then usage if asked."""
    text, tool, prompt = _chat_plan(req)
    include_usage = bool((req.get("stream_options") or {}).get("include_usage"))
    base: dict[str, Any] = {
        "id": f"chatcmpl-{rid}",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": req.get("model", ""),
        "system_fingerprint": "fp_fake",
    }
    if include_usage:
        base["usage"] = None

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    if tool is None:
        yield chunk({"role": "assistant", "content": ""})
        for piece in split_text(text, n):
            yield chunk({"content": piece})
        completion = text
    else:
        args = _tool_args(tool)
        completion = args
        call = {"index": 0, "id": f"call_{rid}", "type": "function"}
        yield chunk(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{**call, "function": {"name": _tool_name(tool), "arguments": ""}}],
            }
        )
        for piece in split_text(args, n):
            yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    yield chunk({}, "tool_calls" if tool is not None else "stop")
    if include_usage:
        yield {**base, "choices": [], "usage": _chat_usage(prompt, completion)}


# -- responses -----------------------------------------------------------------------


def _responses_plan(req: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str]:
    items = req.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    items = [i for i in (items or []) if isinstance(i, dict)]
    prompt = " ".join(
        [_text(req.get("instructions"))]
        + [_text(i.get("content")) or str(i.get("output") or "") for i in items]
    )
    last = items[-1] if items else {}
    if last.get("type") == "function_call_output":
        return f"echo: {_text(last.get('output'))}", None, prompt
    tool = _tool_choice(
        req, [t for t in req.get("tools") or [] if t.get("type", "function") == "function"]
    )
    if tool is not None:
        return "", tool, prompt
    fmt = (req.get("text") or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        return json.dumps(fake_value(fmt.get("schema") or {}), separators=(",", ":")), None, prompt
    user = next((i for i in reversed(items) if i.get("role") == "user"), None)
    text = _text(user.get("content")) if user else ""
    return (f"echo: {text}" if text else "echo"), None, prompt


def _responses_usage(prompt: str, completion: str) -> dict[str, Any]:
    p, c, cached, reasoning = usage_numbers(prompt, completion)
    return {
        "input_tokens": p,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": c,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": p + c,
    }


def _response_shell(req: dict[str, Any], rid: str, status: str) -> dict[str, Any]:
    return {
        "id": f"resp_{rid}",
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": req.get("instructions"),
        "max_output_tokens": req.get("max_output_tokens"),
        "model": req.get("model", ""),
        "output": [],
        "parallel_tool_calls": True,
        "previous_response_id": req.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": req.get("temperature", 1.0),
        "text": req.get("text") or {"format": {"type": "text"}},
        "tool_choice": req.get("tool_choice", "auto"),
        "tools": req.get("tools") or [],
        "top_p": req.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": None,
        "user": None,
        "metadata": req.get("metadata") or {},
    }


def _output_item(rid: str, text: str, tool: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
    if tool is not None:
        args = _tool_args(tool)
        item = {
            "type": "function_call",
            "id": f"fc_{rid}",
            "call_id": f"call_{rid}",
            "name": _tool_name(tool),
            "arguments": args,
            "status": "completed",
        }
        return item, args
    part = {"type": "output_text", "text": text, "annotations": []}
    item = {
        "type": "message",
        "id": f"msg_{rid}",
        "status": "completed",
        "role": "assistant",
        "content": [part],
    }
    return item, text


def responses_response(req: dict[str, Any], rid: str) -> dict[str, Any]:
    text, tool, prompt = _responses_plan(req)
    item, completion = _output_item(rid, text, tool)
    return {
        **_response_shell(req, rid, "completed"),
        "output": [item],
        "usage": _responses_usage(prompt, completion),
    }


def response_events(req: dict[str, Any], rid: str, n: int) -> Iterator[dict[str, Any]]:
    """The Responses API stream: created, in_progress, item/part added, n deltas, done events, completed."""
    text, tool, prompt = _responses_plan(req)
    item, completion = _output_item(rid, text, tool)
    seq = iter(range(1_000_000))
    shell = _response_shell(req, rid, "in_progress")
    yield {"type": "response.created", "sequence_number": next(seq), "response": shell}
    yield {"type": "response.in_progress", "sequence_number": next(seq), "response": shell}
    if tool is not None:
        added = {**item, "arguments": "", "status": "in_progress"}
        yield {
            "type": "response.output_item.added",
            "sequence_number": next(seq),
            "output_index": 0,
            "item": added,
        }
        for piece in split_text(completion, n):
            yield {
                "type": "response.function_call_arguments.delta",
                "sequence_number": next(seq),
                "item_id": item["id"],
                "output_index": 0,
                "delta": piece,
            }
        yield {
            "type": "response.function_call_arguments.done",
            "sequence_number": next(seq),
            "item_id": item["id"],
            "output_index": 0,
            "arguments": completion,
        }
    else:
        added = {**item, "status": "in_progress", "content": []}
        empty = {"type": "output_text", "text": "", "annotations": []}
        where = {"item_id": item["id"], "output_index": 0, "content_index": 0}
        yield {
            "type": "response.output_item.added",
            "sequence_number": next(seq),
            "output_index": 0,
            "item": added,
        }
        yield {
            "type": "response.content_part.added",
            "sequence_number": next(seq),
            **where,
            "part": empty,
        }
        for piece in split_text(text, n):
            yield {
                "type": "response.output_text.delta",
                "sequence_number": next(seq),
                **where,
                "delta": piece,
                "logprobs": [],
            }
        yield {
            "type": "response.output_text.done",
            "sequence_number": next(seq),
            **where,
            "text": text,
            "logprobs": [],
        }
        yield {
            "type": "response.content_part.done",
            "sequence_number": next(seq),
            **where,
            "part": item["content"][0],
        }
    yield {
        "type": "response.output_item.done",
        "sequence_number": next(seq),
        "output_index": 0,
        "item": item,
    }
    done = {
        **shell,
        "status": "completed",
        "output": [item],
        "usage": _responses_usage(prompt, completion),
    }
    yield {"type": "response.completed", "sequence_number": next(seq), "response": done}


# -- embeddings ----------------------------------------------------------------------


def embedding_vector(item: Any, dims: int) -> list[float]:
    key = item if isinstance(item, str) else json.dumps(item)
    digest = b""
    counter = 0
    while len(digest) < dims:
        digest += hashlib.sha256(f"{counter}:{key}".encode()).digest()
        counter += 1
    return [(b - 128) / 128 for b in digest[:dims]]


def embeddings_response(req: dict[str, Any], dims: int) -> dict[str, Any]:
    raw = req.get("input")
    # str | list[str] | list[int] (one token array) | list[list[int]]
    if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
        inputs: list[Any] = [raw]
    else:
        inputs = list(raw or [])
    dims = int(req.get("dimensions") or dims)
    as_base64 = req.get("encoding_format") == "base64"
    data = []
    tokens = 0
    for i, item in enumerate(inputs):
        vec = embedding_vector(item, dims)
        tokens += max(1, words(item)) if isinstance(item, str) else len(item)
        emb: Any = base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode() if as_base64 else vec
        data.append({"object": "embedding", "index": i, "embedding": emb})
    return {
        "object": "list",
        "data": data,
        "model": req.get("model", ""),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
