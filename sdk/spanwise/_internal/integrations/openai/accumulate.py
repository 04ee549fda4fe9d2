"""Rebuild a streamed call's result from its chunks (chat) or events (responses).

``add`` runs once per chunk inside the user's loop, so it only appends to lists;
joining and attribute building happen once, in ``finish``.
"""

from __future__ import annotations

from typing import Any

from ... import attributes as attrs
from .response import responses_response, tool_call, usage_attributes


class _Choice:
    __slots__ = ("content", "finish_reason", "refusal", "role", "tools")

    def __init__(self) -> None:
        self.role = "assistant"
        self.content: list[str] = []
        self.refusal: list[str] = []
        self.tools: dict[int, list[Any]] = {}  # index -> [id, type, name, [argument parts]]
        self.finish_reason: str | None = None

    def message(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "role": self.role,
            "content": "".join(self.content) if self.content else None,
        }
        if self.refusal:
            out["refusal"] = "".join(self.refusal)
        if self.tools:
            out["tool_calls"] = [
                tool_call(cid, name, "".join(parts), kind or "function")
                for cid, kind, name, parts in (self.tools[i] for i in sorted(self.tools))
            ]
        return out


class ChatAccumulator:
    """``chat.completion.chunk`` objects → the assistant message(s), usage and ids."""

    __slots__ = ("choices", "fingerprint", "model", "response_id", "service_tier", "usage")

    def __init__(self) -> None:
        self.choices: dict[int, _Choice] = {}
        self.model: str | None = None
        self.response_id: str | None = None
        self.service_tier: str | None = None
        self.fingerprint: str | None = None
        self.usage: Any = None

    def add(self, chunk: Any) -> bool:
        """Take one chunk; ``True`` when it carried generated content (a token)."""
        if self.response_id is None:
            self.response_id = getattr(chunk, "id", None)
            self.model = getattr(chunk, "model", None)
            self.service_tier = getattr(chunk, "service_tier", None)
            self.fingerprint = getattr(chunk, "system_fingerprint", None)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage  # the final chunk when stream_options.include_usage
        choices = getattr(chunk, "choices", None)
        if not choices:
            return False
        token = False
        for choice in choices:
            buf = self.choices.get(choice.index)
            if buf is None:
                buf = self.choices[choice.index] = _Choice()
            delta = choice.delta
            if delta is not None:
                content = delta.content
                if content:  # the common chunk: one more piece of text
                    buf.content.append(content)
                    token = True
                if delta.role:
                    buf.role = delta.role
                if delta.tool_calls or getattr(delta, "refusal", None):
                    token = True
                    self._tools_or_refusal(buf, delta)
            if choice.finish_reason:
                buf.finish_reason = choice.finish_reason
        return token

    @staticmethod
    def _tools_or_refusal(buf: _Choice, delta: Any) -> None:
        refusal = getattr(delta, "refusal", None)
        if refusal:
            buf.refusal.append(refusal)
        for call in delta.tool_calls or ():
            slot = buf.tools.get(call.index)
            if slot is None:
                slot = buf.tools[call.index] = [None, None, None, []]
            if call.id:
                slot[0] = call.id
            if call.type:
                slot[1] = call.type
            function = call.function
            if function is not None:
                if function.name:
                    slot[2] = function.name
                if function.arguments:
                    slot[3].append(function.arguments)

    def finish(self, out: dict[str, Any]) -> Any:
        if self.model:
            out[attrs.GEN_AI_RESPONSE_MODEL] = self.model
        if self.response_id:
            out[attrs.GEN_AI_RESPONSE_ID] = self.response_id
        if isinstance(self.service_tier, str):
            out[attrs.OPENAI_RESPONSE_SERVICE_TIER] = self.service_tier
        if isinstance(self.fingerprint, str):
            out[attrs.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = self.fingerprint
        usage_attributes(self.usage, out)
        ordered = [self.choices[i] for i in sorted(self.choices)]
        reasons = [c.finish_reason for c in ordered if c.finish_reason]
        if reasons:
            out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = tuple(reasons)  # as spans keep it
        messages = [c.message() for c in ordered]
        if not messages:
            return None
        return messages[0] if len(messages) == 1 else messages


class ResponsesAccumulator:
    """Responses API stream events → the final Response (or the text seen so far)."""

    __slots__ = ("final", "model", "response_id", "texts")

    def __init__(self) -> None:
        self.final: Any = None
        self.model: str | None = None
        self.response_id: str | None = None
        self.texts: list[str] = []

    def add(self, event: Any) -> bool:
        kind = getattr(event, "type", "")
        if kind == "response.output_text.delta":
            self.texts.append(event.delta)
            return True
        if kind.endswith(".delta"):
            return True
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            self.final = event.response
        elif kind == "response.created":
            response = event.response
            self.model = getattr(response, "model", None)
            self.response_id = getattr(response, "id", None)
        return False

    def finish(self, out: dict[str, Any]) -> Any:
        if self.final is not None:
            output = responses_response(self.final, out)
            if getattr(self.final, "status", None) == "failed":
                error = getattr(self.final, "error", None)
                out[attrs.ERROR_TYPE] = str(getattr(error, "code", None) or "failed")
            return output
        # The stream ended early: what was generated until then.
        if self.model:
            out[attrs.GEN_AI_RESPONSE_MODEL] = self.model
        if self.response_id:
            out[attrs.GEN_AI_RESPONSE_ID] = self.response_id
        return {"role": "assistant", "content": "".join(self.texts) if self.texts else None}
