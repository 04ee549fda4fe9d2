"""Deterministic Gemini API (Generative Language API) bodies and stream chunks, from the request only.

Rules (so tests can assert exact values):
- reply text: ``"echo: " + <text of the last user content>`` (its text parts joined with a
  space; ``"echo"`` when there is none); when the last content holds a ``functionResponse``
  part, ``"echo: " + <its response as compact, key-sorted JSON>``.
- ``tools`` with ``functionDeclarations`` (the last content holds no ``functionResponse``,
  ``toolConfig.functionCallingConfig.mode`` is not ``NONE``): one ``functionCall`` part of
  the first declared function (or the first of ``allowedFunctionNames``), its ``args``
  built from ``parameters`` / ``parametersJsonSchema`` by `fake_value` (no ``id``, as on
  the Gemini API). ``finishReason`` is ``STOP`` either way.
- ``modelVersion``: the model from the path without ``models/``; ``responseId``: the
  request id.
- ``promptTokenCount`` P = whitespace-separated words of the ``systemInstruction`` and
  every content's text parts, plus the JSON of every functionCall ``args`` and
  functionResponse ``response`` (min 1); ``candidatesTokenCount``: words of the reply
  text or of the ``args`` JSON (min 1); ``thoughtsTokenCount`` = 3 when
  ``thinkingConfig.thinkingBudget`` > 0 or ``includeThoughts``; with ``cachedContent``,
  ``cachedContentTokenCount`` = P // 2 (a part *of* P, as Gemini reports it);
  ``totalTokenCount`` = prompt + candidates + thoughts.
- stream: the text in `n` pieces by `split_text`, one GenerateContentResponse each, whose
  usage counts the candidate words streamed so far (min 1); the last chunk carries
  ``finishReason`` and the full usage. A functionCall comes as one chunk.
- embeddings: ``outputDimensionality`` (or `dims`) floats per content from sha256 of its
  text, as `embedding_vector` does for OpenAI.
Request keys are read in camelCase or snake_case (the google-genai client sends some nested
config, e.g. ``thinkingConfig``, in snake_case; the API accepts both).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ._openai_payloads import embedding_vector, fake_value, split_text, words

__all__ = ["embed_content", "embed_contents", "error_body", "generate_content", "stream_chunks"]

THOUGHTS_TOKENS = 3

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _get(obj: Any, camel: str, snake: str) -> Any:
    if not isinstance(obj, dict):
        return None
    return obj[camel] if camel in obj else obj.get(snake)


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    parts = _get(content, "parts", "parts") or []
    return [p for p in parts if isinstance(p, dict)]


def _text(content: Any) -> str:
    return " ".join(p["text"] for p in _parts(content) if isinstance(p.get("text"), str))


def _prompt_words(req: dict[str, Any], contents: list[Any]) -> int:
    pieces = [_text(_get(req, "systemInstruction", "system_instruction"))]
    for content in contents:
        pieces.append(_text(content))
        for part in _parts(content):
            call = _get(part, "functionCall", "function_call")
            result = _get(part, "functionResponse", "function_response")
            if call is not None:
                pieces.append(_dump(call.get("args") or {}))
            if result is not None:
                pieces.append(_dump(result.get("response") or {}))
    return max(1, words(" ".join(pieces)))


def _function_response(content: Any) -> dict[str, Any] | None:
    for part in _parts(content):
        result = _get(part, "functionResponse", "function_response")
        if isinstance(result, dict):
            return result
    return None


def _lower_types(schema: Any) -> Any:
    """Gemini's OpenAPI-style ``Schema`` spells types upper-case (``"OBJECT"``)."""
    if isinstance(schema, list):
        return [_lower_types(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _lower_types(v) for k, v in schema.items()}
    typ = schema.get("type")
    if isinstance(typ, str):
        out["type"] = typ.lower()
    elif isinstance(typ, list):
        out["type"] = [t.lower() if isinstance(t, str) else t for t in typ]
    return out


def _function_call(req: dict[str, Any]) -> dict[str, Any] | None:
    """The ``functionCall`` the fake makes, or None for a text reply."""
    decls = [
        d
        for tool in req.get("tools") or []
        for d in _get(tool, "functionDeclarations", "function_declarations") or []
        if isinstance(d, dict)
    ]
    config = _get(
        _get(req, "toolConfig", "tool_config"), "functionCallingConfig", "function_calling_config"
    )
    if not decls or str(_get(config, "mode", "mode") or "").upper() == "NONE":
        return None
    allowed = _get(config, "allowedFunctionNames", "allowed_function_names") or []
    name = allowed[0] if allowed else decls[0].get("name", "tool")
    decl = next((d for d in decls if d.get("name") == name), decls[0])
    schema = decl.get("parameters") or _get(decl, "parametersJsonSchema", "parameters_json_schema")
    return {"name": name, "args": fake_value(_lower_types(schema or {"type": "object"})) or {}}


def _plan(req: dict[str, Any]) -> tuple[str, dict[str, Any] | None, int]:
    """(reply text, functionCall or None, prompt words) for a request."""
    contents = [c for c in req.get("contents") or [] if isinstance(c, dict)]
    prompt = _prompt_words(req, contents)
    result = _function_response(contents[-1]) if contents else None
    if result is not None:
        return f"echo: {_dump(result.get('response') or {})}", None, prompt
    call = _function_call(req)
    if call is not None:
        return "", call, prompt
    user = next((c for c in reversed(contents) if c.get("role", "user") == "user"), None)
    text = _text(user)
    return (f"echo: {text}" if text else "echo"), None, prompt


def _usage(req: dict[str, Any], prompt: int, candidates: int, final: bool) -> dict[str, Any]:
    usage = {"promptTokenCount": prompt, "candidatesTokenCount": candidates}
    thinking = _get(
        _get(req, "generationConfig", "generation_config"), "thinkingConfig", "thinking_config"
    )
    thoughts = 0
    if final and (
        (_get(thinking, "thinkingBudget", "thinking_budget") or 0) > 0
        or _get(thinking, "includeThoughts", "include_thoughts")
    ):
        thoughts = THOUGHTS_TOKENS
        usage["thoughtsTokenCount"] = thoughts
    if _get(req, "cachedContent", "cached_content"):
        usage["cachedContentTokenCount"] = prompt // 2
    usage["totalTokenCount"] = prompt + candidates + thoughts
    return usage


def _response(
    model: str, rid: str, parts: list[dict[str, Any]], usage: dict[str, Any], final: bool
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
    if final:
        candidate["finishReason"] = "STOP"
    candidate["index"] = 0
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": model.removeprefix("models/"),
        "responseId": rid,
    }


def _reply(text: str, call: dict[str, Any] | None) -> tuple[list[dict[str, Any]], int]:
    """(parts, candidates token count) of the whole reply."""
    if call is not None:
        return [{"functionCall": call}], max(1, words(_dump(call["args"])))
    return [{"text": text}], max(1, words(text))


def generate_content(req: dict[str, Any], model: str, rid: str) -> dict[str, Any]:
    text, call, prompt = _plan(req)
    parts, candidates = _reply(text, call)
    return _response(model, rid, parts, _usage(req, prompt, candidates, True), True)


def stream_chunks(req: dict[str, Any], model: str, rid: str, n: int) -> Iterator[dict[str, Any]]:
    """`n` text chunks (usage so far in each), the last with finishReason and full usage."""
    text, call, prompt = _plan(req)
    parts, candidates = _reply(text, call)
    if call is not None:
        yield _response(model, rid, parts, _usage(req, prompt, candidates, True), True)
        return
    pieces = split_text(text, n)
    sent = ""
    for i, piece in enumerate(pieces):
        sent += piece
        final = i == len(pieces) - 1
        so_far = candidates if final else max(1, words(sent))
        usage = _usage(req, prompt, so_far, final)
        yield _response(model, rid, [{"text": piece}], usage, final)


def _embedding(req: dict[str, Any], dims: int) -> dict[str, Any]:
    size = int(_get(req, "outputDimensionality", "output_dimensionality") or dims)
    return {"values": embedding_vector(_text(req.get("content")), size)}


def embed_contents(req: dict[str, Any], model: str, dims: int) -> dict[str, Any]:
    """``:batchEmbedContents`` (what ``client.models.embed_content`` calls)."""
    del model  # the Gemini API echoes no model in embeddings
    requests = [r for r in req.get("requests") or [] if isinstance(r, dict)]
    return {"embeddings": [_embedding(r, dims) for r in requests]}


def embed_content(req: dict[str, Any], model: str, dims: int) -> dict[str, Any]:
    """``:embedContent``: one content."""
    del model
    return {"embedding": _embedding(req, dims)}


def error_body(status: int, message: str) -> dict[str, Any]:
    name = _STATUS_NAMES.get(status, "INTERNAL" if status >= 500 else "UNKNOWN")
    return {"error": {"code": status, "message": message, "status": name}}
