"""Where each model family's own InvokeModel JSON keeps its reply and its stop reason.

Bedrock passes the family's body through unchanged and the families agree on nothing:
Claude (Messages) ``content`` + ``stop_reason``; Claude 2 ``completion`` +
``stop_reason``; Llama ``generation`` + ``stop_reason``; Titan Text
``results[0].outputText`` + ``completionReason``; Mistral ``outputs[0].text`` +
``stop_reason``; Nova ``output.message`` + ``stopReason``; Cohere Command R ``text`` +
``finish_reason``; OpenAI-style models (gpt-oss, Jamba) ``choices[0].message`` +
``finish_reason``. Streams send the same names piece by piece (OpenAI-style:
``choices[0].delta``), except Claude's and Nova's, which send their APIs' own events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_TEXT_KEYS = ("completion", "generation", "outputText", "text")
_STOP_KEYS = ("stop_reason", "completionReason", "stopReason", "finish_reason")
# request knobs: the span attribute's name here -> the names families give it
_KNOBS = {
    "max_tokens": ("max_tokens", "max_gen_len", "maxTokenCount", "max_new_tokens", "maxTokens"),
    "temperature": ("temperature",),
    "top_p": ("top_p", "topP"),
    "top_k": ("top_k", "topK"),
}
_CONFIGS = ("textGenerationConfig", "inferenceConfig")  # Titan's, Nova's nested knobs


def _first(items: Any) -> Mapping[str, Any]:
    if isinstance(items, list) and items and isinstance(items[0], Mapping):
        return items[0]
    return {}


def _text(data: Mapping[str, Any]) -> str | None:
    for key in _TEXT_KEYS:
        value = data.get(key)
        if isinstance(value, str):
            return value
    return None


def _stop(data: Mapping[str, Any]) -> str | None:
    for key in _STOP_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def request_knobs(body: Mapping[str, Any]) -> dict[str, Any]:
    """max_tokens/temperature/top_p/top_k under whichever name the family uses."""
    scopes = [body] + [c for c in (body.get(k) for k in _CONFIGS) if isinstance(c, Mapping)]
    found: dict[str, Any] = {}
    for name, aliases in _KNOBS.items():
        for scope in scopes:
            value = next((scope[a] for a in aliases if a in scope), None)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                found[name] = value
                break
    return found


def reply(body: Mapping[str, Any]) -> tuple[Any, str | None]:
    """(the output to capture, the stop reason) of a whole InvokeModel body."""
    if "content" in body and "role" in body:  # Claude: the message itself
        return {"role": body["role"], "content": body["content"]}, _stop(body)
    output = body.get("output")
    message = output.get("message") if isinstance(output, Mapping) else None
    if isinstance(message, Mapping):  # Nova
        return dict(message), _stop(body)
    choice = _first(body.get("choices"))
    if isinstance(choice.get("message"), Mapping):  # OpenAI-style
        return dict(choice["message"]), _stop(choice)
    part = _first(body.get("results")) or _first(body.get("outputs")) or body  # Titan, Mistral
    text = _text(part)
    if text is None:
        return body, _stop(body)  # a family not known here: the body as it came
    return {"role": "assistant", "content": text}, _stop(part) or _stop(body)


def stream_piece(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(text piece, stop reason) of one stream chunk that is neither Claude's Messages
    events nor Nova's (those are Converse stream events: `converse.StreamAccumulator`)."""
    choice = _first(data.get("choices"))
    if choice:  # OpenAI-style
        text = (choice.get("delta") or {}).get("content")
        return (text if isinstance(text, str) else None), _stop(choice)
    part = _first(data.get("outputs")) or data  # Mistral; Titan, Llama, Claude 2, Cohere
    if part is data and data.get("is_finished") is True:
        return None, _stop(data)  # Cohere's stream-end repeats the whole text
    return _text(part), _stop(part)
