"""Span attributes, inputs and outputs of Bedrock Runtime's Converse API calls.

Requests and responses are plain dicts (botocore parses them): read with ``.get`` and
type checks, so a field another API version lacks costs an attribute, never the call.
Bedrock reports cache reads and writes *beside* ``inputTokens`` (as Anthropic does);
``gen_ai.usage.input_tokens`` is every input token, the cache parts within it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ... import attributes as attrs
from ..llm_client.server import server_attributes
from ..llm_client.usage import put_cache_beside_input

BEDROCK = "aws.bedrock"

_CONFIG_NUMBERS = (
    ("temperature", attrs.GEN_AI_REQUEST_TEMPERATURE),
    ("topP", attrs.GEN_AI_REQUEST_TOP_P),
    ("maxTokens", attrs.GEN_AI_REQUEST_MAX_TOKENS),
)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def provider_attributes(client: Any) -> dict[str, Any]:
    found: dict[str, Any] = {attrs.GEN_AI_PROVIDER_NAME: BEDROCK, attrs.GEN_AI_SYSTEM: BEDROCK}
    found.update(server_attributes(getattr(getattr(client, "meta", None), "endpoint_url", None)))
    return found


def request_attributes(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    config = kwargs.get("inferenceConfig")
    if isinstance(config, Mapping):
        for key, attr in _CONFIG_NUMBERS:
            value = config.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[attr] = value
        stops = config.get("stopSequences")
        if isinstance(stops, list) and stops and all(isinstance(s, str) for s in stops):
            out[attrs.GEN_AI_REQUEST_STOP_SEQUENCES] = stops


def inputs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"messages": kwargs.get("messages")}
    for key in ("system", "toolConfig"):
        if kwargs.get(key):
            found[key] = kwargs[key]
    return found


def usage_attributes(usage: Any, out: dict[str, Any]) -> None:
    if not isinstance(usage, Mapping):
        return
    put_cache_beside_input(
        out,
        _int(usage.get("inputTokens")),
        _int(usage.get("cacheReadInputTokens")) or 0,
        _int(usage.get("cacheWriteInputTokens")) or 0,
    )
    output = _int(usage.get("outputTokens"))
    if output is not None:
        out[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] = output


def request_id(result: Mapping[str, Any], out: dict[str, Any]) -> None:
    metadata = result.get("ResponseMetadata")
    rid = metadata.get("RequestId") if isinstance(metadata, Mapping) else None
    if isinstance(rid, str) and rid:
        out[attrs.GEN_AI_RESPONSE_ID] = rid


def response(result: Any, out: dict[str, Any]) -> Any:
    """A ``converse`` result's attributes into ``out``; returns the assistant message."""
    if not isinstance(result, Mapping):
        return None
    request_id(result, out)
    usage_attributes(result.get("usage"), out)
    stop = result.get("stopReason")
    if isinstance(stop, str) and stop:
        out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = (stop,)
    output = result.get("output")
    return output.get("message") if isinstance(output, Mapping) else None


class StreamAccumulator:
    """``converse_stream`` events → the assistant message, its stop reason and usage."""

    __slots__ = ("blocks", "role", "stop", "usage")

    def __init__(self) -> None:
        self.role = "assistant"
        self.blocks: dict[int, dict[str, Any]] = {}  # index -> {"text": [..]} or tool use
        self.stop: str | None = None
        self.usage: Any = None

    def _block(self, index: Any) -> dict[str, Any]:
        key = index if isinstance(index, int) else 0
        block = self.blocks.get(key)
        if block is None:
            block = self.blocks[key] = {}
        return block

    def add(self, event: Any) -> bool:
        """Take one event; ``True`` when it carried generated content."""
        if not isinstance(event, Mapping):
            return False
        delta_event = event.get("contentBlockDelta")
        if delta_event is not None:
            delta = delta_event.get("delta") or {}
            block = self._block(delta_event.get("contentBlockIndex"))
            if "text" in delta:
                block.setdefault("text", []).append(delta["text"])
            elif "toolUse" in delta:
                block.setdefault("input", []).append((delta["toolUse"] or {}).get("input", ""))
            elif "reasoningContent" in delta:
                text = (delta["reasoningContent"] or {}).get("text")
                if isinstance(text, str):
                    block.setdefault("reasoning", []).append(text)
            return True
        start = event.get("contentBlockStart")
        if start is not None:
            tool = (start.get("start") or {}).get("toolUse")
            if isinstance(tool, Mapping):
                block = self._block(start.get("contentBlockIndex"))
                block["toolUseId"], block["name"] = tool.get("toolUseId"), tool.get("name")
        elif "messageStart" in event:
            role = (event["messageStart"] or {}).get("role")
            if isinstance(role, str):
                self.role = role
        elif "messageStop" in event:
            self.stop = (event["messageStop"] or {}).get("stopReason")
        elif "metadata" in event:
            self.usage = (event["metadata"] or {}).get("usage")
        return False

    def finish(self, out: dict[str, Any]) -> Any:
        usage_attributes(self.usage, out)
        if isinstance(self.stop, str) and self.stop:
            out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = (self.stop,)
        return self.message()

    def message(self) -> dict[str, Any]:
        """The message as far as it arrived."""
        content = [_content(self.blocks[i]) for i in sorted(self.blocks)]
        return {"role": self.role, "content": content}

    def tap(self, events: Any, recorder: Any, owner: Any) -> Any:
        from ..llm_client.streams import tap_each

        return tap_each(self, events, recorder, owner)


def _content(block: dict[str, Any]) -> dict[str, Any]:
    if "name" in block:
        text = "".join(block.get("input", []))
        try:
            parsed: Any = json.loads(text) if text else {}
        except ValueError:
            parsed = text
        return {"toolUse": {"toolUseId": block.get("toolUseId"), "name": block["name"],
                            "input": parsed}}  # fmt: skip
    if "reasoning" in block and "text" not in block:
        return {"reasoningContent": {"text": "".join(block["reasoning"])}}
    return {"text": "".join(block.get("text", []))}
