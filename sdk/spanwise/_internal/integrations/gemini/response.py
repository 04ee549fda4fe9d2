"""Span attributes and the captured output of ``GenerateContentResponse`` objects.

A whole response and a stream's chunks go through the same `Accumulator`: a response
is a stream of one. Only public fields are read, with ``getattr`` defaults.
"""

from __future__ import annotations

from typing import Any

from ... import attributes as attrs
from .request import model_name


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value.__class__ is not bool else 0


def usage_attributes(usage: Any, out: dict[str, Any]) -> None:
    """Gemini's counts as totals with subsets (see spanwise_pricing.usage): cached
    tokens are part of ``prompt_token_count``; tool-use prompt tokens (what built-in
    tools fed the model) are input reported beside it; ``candidates_token_count``
    excludes the thinking tokens, which are output too."""
    if usage is None:
        return
    prompt = getattr(usage, "prompt_token_count", None)
    candidates = getattr(usage, "candidates_token_count", None)
    if prompt is None and candidates is None:
        return
    thoughts = _count(getattr(usage, "thoughts_token_count", None))
    out[attrs.GEN_AI_USAGE_INPUT_TOKENS] = _count(prompt) + _count(
        getattr(usage, "tool_use_prompt_token_count", None)
    )
    out[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] = _count(candidates) + thoughts
    cached = _count(getattr(usage, "cached_content_token_count", None))
    if cached:
        out[attrs.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached
    if thoughts:
        out[attrs.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = thoughts


def _reason(value: Any) -> str | None:
    if value is None:
        return None
    text = getattr(value, "value", value)  # FinishReason is a str enum
    return text if isinstance(text, str) and text else None


class _Candidate:
    __slots__ = ("calls", "reason", "role", "text", "thoughts")

    def __init__(self) -> None:
        self.role = "model"
        self.text: list[str] = []
        self.thoughts: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.reason: str | None = None

    def add(self, candidate: Any) -> bool:
        """One candidate (or a chunk of it); ``True`` when it carried generated content."""
        reason = _reason(getattr(candidate, "finish_reason", None))
        if reason:
            self.reason = reason
        content = getattr(candidate, "content", None)
        role = getattr(content, "role", None)
        if isinstance(role, str) and role:
            self.role = role
        produced = False
        for part in getattr(content, "parts", None) or ():
            text = getattr(part, "text", None)
            if isinstance(text, str):
                (self.thoughts if getattr(part, "thought", None) else self.text).append(text)
                produced = produced or bool(text)
                continue
            call = getattr(part, "function_call", None)
            if call is not None:
                self.calls.append({"name": getattr(call, "name", None), "args": call.args})
                produced = True
        return produced

    def message(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": "".join(self.text) or None}
        if self.calls:
            out["function_calls"] = self.calls
        if self.thoughts:
            out["thoughts"] = "".join(self.thoughts)
        return out


class Accumulator:
    """Responses (or stream chunks) → the model's message(s), usage and ids."""

    __slots__ = ("candidates", "model", "response_id", "usage")

    def __init__(self) -> None:
        self.candidates: dict[int, _Candidate] = {}
        self.model: str | None = None
        self.response_id: str | None = None
        self.usage: Any = None

    def add(self, response: Any) -> bool:
        """Take one response or chunk; ``True`` when it carried generated content."""
        if self.model is None:
            self.model = model_name(getattr(response, "model_version", None))
        if self.response_id is None:
            rid = getattr(response, "response_id", None)
            self.response_id = rid if isinstance(rid, str) else None
        usage = getattr(response, "usage_metadata", None)
        if usage is not None:
            self.usage = usage  # cumulative in streams: the last one counts
        produced = False
        for position, candidate in enumerate(getattr(response, "candidates", None) or ()):
            index = getattr(candidate, "index", None)
            key = index if isinstance(index, int) else position
            slot = self.candidates.get(key)
            if slot is None:
                slot = self.candidates[key] = _Candidate()
            produced = slot.add(candidate) or produced
        return produced

    def finish(self, out: dict[str, Any]) -> Any:
        """Response attributes into ``out``; returns the output to capture."""
        if self.model:
            out[attrs.GEN_AI_RESPONSE_MODEL] = self.model
        if self.response_id:
            out[attrs.GEN_AI_RESPONSE_ID] = self.response_id
        usage_attributes(self.usage, out)
        ordered = [self.candidates[k] for k in sorted(self.candidates)]
        reasons = tuple(c.reason for c in ordered if c.reason)
        if reasons:
            out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
        if not ordered:
            return None
        messages = [c.message() for c in ordered]
        return messages[0] if len(messages) == 1 else messages


def response_attributes(response: Any, out: dict[str, Any]) -> Any:
    acc = Accumulator()
    acc.add(response)
    return acc.finish(out)


def embed_attributes(response: Any, out: dict[str, Any]) -> Any:
    """Vertex AI reports each embedding's token count; the Gemini API reports none."""
    embeddings = getattr(response, "embeddings", None) or ()
    tokens = 0
    for embedding in embeddings:
        count = getattr(getattr(embedding, "statistics", None), "token_count", None)
        if isinstance(count, float) and count.is_integer():  # Vertex sends a float
            count = int(count)
        tokens += _count(count)
    if tokens:
        out[attrs.GEN_AI_USAGE_INPUT_TOKENS] = tokens
    first = getattr(embeddings[0], "values", None) if embeddings else None
    return {"embeddings": len(embeddings), "dimensions": len(first) if first else 0}
