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
from ..anthropic.accumulate import MessageAccumulator
from ..llm_client.usage import put_cache_beside_input
from . import families
from .converse import StreamAccumulator as ConverseAccumulator

_HEADER = "x-amzn-bedrock-{}-token-count"  # botocore lower-cases header names
_KNOB_ATTRS = {
    "max_tokens": attrs.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": attrs.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": attrs.GEN_AI_REQUEST_TOP_P,
    "top_k": attrs.GEN_AI_REQUEST_TOP_K,
}
# Claude's Messages stream events (the anthropic accumulator reads them)
_CLAUDE_EVENTS = frozenset({"message_start", "content_block_start", "content_block_delta",
                            "content_block_stop", "message_delta", "message_stop", "ping"})  # fmt: skip
# Nova's stream chunks are Converse stream events (its accumulator reads them)
_NOVA_EVENTS = frozenset({"messageStart", "contentBlockStart", "contentBlockDelta",
                          "contentBlockStop", "messageStop", "metadata"})  # fmt: skip


class _Fields(dict):
    """A JSON object whose keys also read as attributes (``None`` when absent), so the
    Anthropic stream accumulator, written for the SDK's event objects, reads Bedrock's
    JSON chunks of the same events; the value stays a dict (a tool's ``input``)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


def _json(body: Any, object_hook: Any = None) -> Any:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            return json.loads(body, object_hook=object_hook)
        except ValueError:
            return body
    return None  # a file object: not read here, it is the caller's request


def request_attributes(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    body = _json(kwargs.get("body"))
    if isinstance(body, Mapping):
        for name, value in families.request_knobs(body).items():
            out[_KNOB_ATTRS[name]] = value


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
    if not isinstance(parsed, Mapping):
        return parsed
    output, reason = families.reply(parsed)
    if reason:
        out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = (reason,)
    return output


def _same_kind(body: Any, data: bytes) -> Any:
    """An in-memory body of the same type the caller got, for their ``read()``."""
    try:
        from botocore.response import StreamingBody

        return StreamingBody(io.BytesIO(data), len(data))
    except Exception:
        return io.BytesIO(data)


def _metric(metrics: Mapping[str, Any], key: str) -> int | None:
    value = metrics.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class StreamAccumulator:
    """``invoke_model_with_response_stream`` events: each a chunk of the model family's
    own stream JSON (Claude's Messages events, Nova's Converse events, or another family's
    text pieces: `families`); Bedrock adds ``amazon-bedrock-invocationMetrics`` with the
    counts to the last one."""

    __slots__ = ("claude", "metrics", "nova", "stop", "text")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.stop: str | None = None
        self.metrics: Mapping[str, Any] | None = None
        self.claude: MessageAccumulator | None = None
        self.nova: ConverseAccumulator | None = None

    def add(self, event: Any) -> bool:
        chunk = event.get("chunk") if isinstance(event, Mapping) else None
        data = _json(chunk.get("bytes"), _Fields) if isinstance(chunk, Mapping) else None
        if not isinstance(data, Mapping):
            return False
        metrics = data.get("amazon-bedrock-invocationMetrics")
        if isinstance(metrics, Mapping):
            self.metrics = metrics
        if data.get("type") in _CLAUDE_EVENTS:
            if self.claude is None:
                self.claude = MessageAccumulator()
            return self.claude.add(data)
        if not _NOVA_EVENTS.isdisjoint(data):
            if self.nova is None:
                self.nova = ConverseAccumulator()
            return self.nova.add(data)
        text, stop = families.stream_piece(data)
        if stop:
            self.stop = stop
        if text:
            self.text.append(text)
            return True
        return False

    def finish(self, out: dict[str, Any]) -> Any:
        metrics = self.metrics
        if metrics is not None:
            put_cache_beside_input(
                out, _metric(metrics, "inputTokenCount"),
                _metric(metrics, "cacheReadInputTokenCount") or 0,
                _metric(metrics, "cacheWriteInputTokenCount") or 0,
            )  # fmt: skip
            output = _metric(metrics, "outputTokenCount")
            if output is not None:
                out[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] = output
        # Claude's and Nova's as their whole replies capture them: the message's blocks
        if self.claude is not None:
            stop, output = self.claude.stop_reason, self.claude.message()
        elif self.nova is not None:
            stop, output = self.nova.stop, self.nova.message()
        else:
            stop, output = self.stop, {"role": "assistant", "content": "".join(self.text)}
        if stop:
            out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = (stop,)
        return output

    def tap(self, events: Any, recorder: Any, owner: Any) -> Any:
        from ..llm_client.streams import tap_each

        return tap_each(self, events, recorder, owner)
