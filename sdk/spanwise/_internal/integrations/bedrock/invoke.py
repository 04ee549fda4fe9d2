"""``invoke_model``: each model family's own JSON body, read where the families agree.

Inputs are the request body as sent (parsed when it is JSON). Token counts come from
Bedrock's ``X-Amzn-Bedrock-*-Token-Count`` response headers, which every family gets;
cache reads and writes are counted beside the input there too. The response body is a
stream the caller reads: it is read here and handed back as an identical in-memory
body, so the output can be captured and the caller's ``read()`` still works.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from ... import attributes as attrs
from ..llm_client.usage import put_cache_beside_input

_HEADER = "x-amzn-bedrock-{}-token-count"  # botocore lower-cases header names
_NUMBERS = (
    ("max_tokens", attrs.GEN_AI_REQUEST_MAX_TOKENS),
    ("temperature", attrs.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", attrs.GEN_AI_REQUEST_TOP_P),
    ("top_k", attrs.GEN_AI_REQUEST_TOP_K),
)


def _json(body: Any) -> Any:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return None  # a file object: not read here, it is the caller's request


def request_attributes(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    body = _json(kwargs.get("body"))
    if isinstance(body, Mapping):
        for key, attr in _NUMBERS:
            value = body.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[attr] = value


def inputs(kwargs: Mapping[str, Any]) -> Any:
    return _json(kwargs.get("body"))


def _count(headers: Mapping[str, Any], kind: str) -> int | None:
    value = headers.get(_HEADER.format(kind))
    return int(value) if isinstance(value, str) and value.isdigit() else None


def response(result: Any, out: dict[str, Any]) -> Any:
    """Usage from the headers into ``out``; the body read, replaced, and returned parsed."""
    if not isinstance(result, dict):
        return None
    metadata = result.get("ResponseMetadata") or {}
    rid = metadata.get("RequestId")
    if isinstance(rid, str) and rid:
        out[attrs.GEN_AI_RESPONSE_ID] = rid
    headers = metadata.get("HTTPHeaders") or {}
    output = _count(headers, "output")
    put_cache_beside_input(
        out, _count(headers, "input"), _count(headers, "cache-read-input") or 0,
        _count(headers, "cache-write-input") or 0,
    )  # fmt: skip
    if output is not None:
        out[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] = output
    body = result.get("body")
    read = getattr(body, "read", None)
    if read is None:
        return None
    data = read()
    result["body"] = _same_kind(body, data)
    parsed = _json(data)
    if isinstance(parsed, Mapping):
        reason = parsed.get("stop_reason")
        if isinstance(reason, str) and reason:
            out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = (reason,)
        if "content" in parsed and "role" in parsed:  # Claude: the message itself
            return {"role": parsed["role"], "content": parsed["content"]}
    return parsed


def _same_kind(body: Any, data: bytes) -> Any:
    """An in-memory body of the same type the caller got, for their ``read()``."""
    try:
        from botocore.response import StreamingBody

        return StreamingBody(io.BytesIO(data), len(data))
    except Exception:
        return io.BytesIO(data)
