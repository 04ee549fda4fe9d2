"""Rebuild a streamed Anthropic message from its raw events.

``message_start`` carries the id, model and input usage; ``content_block_start`` opens
a block (text, tool use, thinking) whose ``content_block_delta``s are appended to a
list; ``message_delta`` carries the stop reason and cumulative usage. Joining happens
once, in ``finish``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from ..llm_client.streams import tap_each
from .response import content_block, finish

# delta type -> the field holding its piece
_DELTA_FIELDS = {
    "text_delta": "text",
    "input_json_delta": "partial_json",
    "thinking_delta": "thinking",
}
_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


class _Block:
    __slots__ = ("parts", "start")

    def __init__(self, start: Any) -> None:
        self.start = start
        self.parts: list[str] = []

    def data(self) -> dict[str, Any]:
        start = self.start
        kind = getattr(start, "type", None)
        joined = "".join(self.parts)
        if kind == "text":
            return {"type": "text", "text": (getattr(start, "text", "") or "") + joined}
        if kind == "thinking":
            return {"type": "thinking", "thinking": (getattr(start, "thinking", "") or "") + joined}
        if kind in ("tool_use", "server_tool_use"):
            tool_input: Any = getattr(start, "input", None)
            if joined:
                try:
                    tool_input = json.loads(joined)
                except ValueError:
                    tool_input = joined  # cut off mid-stream: what arrived
            return {"type": kind, "id": start.id, "name": start.name, "input": tool_input}
        return content_block(start)


class MessageAccumulator:
    """``RawMessageStreamEvent``s → the assistant message, its usage and ids."""

    __slots__ = ("blocks", "message_id", "model", "stop_reason", "usage")

    def __init__(self) -> None:
        self.blocks: dict[int, _Block] = {}
        self.model: str | None = None
        self.message_id: str | None = None
        self.stop_reason: str | None = None
        self.usage: dict[str, int] = {}

    def add(self, event: Any) -> bool:
        """Take one event; ``True`` when it carried generated content (a token)."""
        kind = getattr(event, "type", None)
        if kind == "content_block_delta":
            delta = event.delta
            field = _DELTA_FIELDS.get(getattr(delta, "type", None))
            block = self.blocks.get(event.index)
            if field is None or block is None:
                return False
            piece = getattr(delta, field, None)
            if isinstance(piece, str):
                block.parts.append(piece)
            return True
        if kind == "content_block_start":
            self.blocks[event.index] = _Block(event.content_block)
        elif kind == "message_start":
            message = event.message
            self.model = getattr(message, "model", None)
            self.message_id = getattr(message, "id", None)
            self._usage(getattr(message, "usage", None))
        elif kind == "message_delta":
            self.stop_reason = getattr(event.delta, "stop_reason", None)
            # cumulative totals: they replace; absent ones keep message_start's
            self._usage(getattr(event, "usage", None))
        return False

    def _usage(self, usage: Any) -> None:
        if usage is None:
            return
        for name in _USAGE_FIELDS:
            value = getattr(usage, name, None)
            if isinstance(value, int):
                self.usage[name] = value

    def tap(self, events: Iterable[Any], recorder: Any, owner: Any) -> Iterator[Any]:
        return tap_each(self, events, recorder, owner)

    def finish(self, out: dict[str, Any]) -> Any:
        usage = SimpleNamespace(**self.usage) if self.usage else None
        finish(out, self.model, self.message_id, self.stop_reason, usage)
        if self.message_id is None and not self.blocks:
            return None
        return self.message()

    def message(self) -> dict[str, Any]:
        """The assistant message as far as it arrived."""
        return {
            "role": "assistant",
            "content": [self.blocks[i].data() for i in sorted(self.blocks)],
        }
