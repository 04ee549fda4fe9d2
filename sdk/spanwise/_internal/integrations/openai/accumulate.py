"""Rebuild a streamed call's result from its chunks (chat) or events (responses).

Per chunk, inside the user's loop, only appends to lists (``tap``, the generator a
sync ``for`` loop runs, reads the common chat chunk inline; ``add`` takes any chunk);
joining and attribute building happen once, in ``finish``. Chunk fields are read from
the models' ``__dict__`` where pydantic keeps them, with attribute reads as fallback.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from time import time_ns
from typing import Any

from ... import attributes as attrs
from ...errors import log_internal_error
from ..llm_client.streams import tap_each, usage_only
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
        # Fields from the models' ``__dict__`` (pydantic keeps every declared field
        # there): an attribute read on an openai model goes through the class's
        # ``__getattr__`` hook (~55 ns, unspecialisable), a dict lookup costs ~15 ns,
        # and this runs for every chunk. Anything else (another client version, a
        # field it lacks) takes the attribute path.
        try:
            fields = chunk.__dict__
            usage = fields["usage"]
            choices = fields["choices"]
        except (AttributeError, KeyError, TypeError):
            usage = getattr(chunk, "usage", None)
            choices = getattr(chunk, "choices", None)
        if usage is not None:
            self.usage = usage  # the final chunk when stream_options.include_usage
        if not choices:
            return False
        token = False
        for choice in choices:
            content = role = calls = refusal = None
            try:
                fields = choice.__dict__
                index, delta, reason = fields["index"], fields["delta"], fields["finish_reason"]
                if delta is not None:
                    fields = delta.__dict__
                    content, role = fields["content"], fields["role"]
                    calls, refusal = fields["tool_calls"], fields["refusal"]
            except (AttributeError, KeyError, TypeError):
                index, delta, reason = choice.index, choice.delta, choice.finish_reason
                if delta is not None:
                    content, role = delta.content, delta.role
                    calls, refusal = delta.tool_calls, getattr(delta, "refusal", None)
            buf = self.choices.get(index)
            if buf is None:
                buf = self.choices[index] = _Choice()
            if content:  # the common chunk: one more piece of text
                buf.content.append(content)
                token = True
            if role:
                buf.role = role
            if calls or refusal:
                token = True
                if refusal:
                    buf.refusal.append(refusal)
                if calls:
                    self._tool_calls(buf, calls)
            if reason:
                buf.finish_reason = reason
        return token

    def tap(self, chunks: Iterable[Any], recorder: Any, owner: Any) -> Iterator[Any]:
        """`tap_each` with the common chunk read inline: one choice (index 0, already
        seen), a text delta and nothing else. Between two chunks the client's SSE and
        pydantic work evicts this code from the caches, so each chunk pays for every
        distinct step it takes: here three ``__dict__`` reads and a few lookups, no
        call. Any other chunk goes through ``add``. ``owner`` is only held (`tap_each`)."""
        add = self.add
        text: list[str] | None = None  # choice 0's text parts, once add has made it
        timed = bool(recorder.first_token_ns)  # a local: read per chunk
        hide = recorder.hide_usage  # the usage-only chunk we asked for: not the caller's
        try:
            for chunk in chunks:
                try:
                    fields = chunk.__dict__
                    choices = fields["choices"]
                    common = text is not None and fields["usage"] is None and len(choices) == 1
                    if common:
                        fields = choices[0].__dict__
                        delta = fields["delta"]
                        common = (
                            fields["index"] == 0
                            and fields["finish_reason"] is None
                            and delta is not None
                        )
                        if common:
                            fields = delta.__dict__
                            content = fields["content"]
                            common = (
                                fields["role"] is None
                                and fields["tool_calls"] is None
                                and fields["refusal"] is None
                            )
                except (AttributeError, KeyError, TypeError):
                    common = False
                if common:
                    if content:
                        text.append(content)  # type: ignore[union-attr]
                        if not timed:
                            recorder.first_token_ns = time_ns()
                            timed = True
                else:
                    try:
                        if add(chunk) and not timed:
                            recorder.first_token_ns = time_ns()
                            timed = True
                        if text is None and self.response_id is not None:
                            first = self.choices.get(0)
                            text = first.content if first is not None else None
                    except Exception:
                        log_internal_error("reading an OpenAI stream chunk")
                    if hide and usage_only(chunk):
                        continue
                yield chunk
        except GeneratorExit:
            raise  # the loop was left early: close(), exit or collection ends the span
        except BaseException as exc:
            recorder.finish(exc)
            raise
        recorder.finish()

    @staticmethod
    def _tool_calls(buf: _Choice, calls: Any) -> None:
        for call in calls:
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
        if len(self.choices) == 1:  # the usual case, without the comprehensions' calls
            (choice,) = self.choices.values()
            if choice.finish_reason:
                out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = (choice.finish_reason,)
            return choice.message()
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

    def tap(self, events: Iterable[Any], recorder: Any, owner: Any) -> Iterator[Any]:
        return tap_each(self, events, recorder, owner)

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
