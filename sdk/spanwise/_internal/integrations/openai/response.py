"""Span attributes and captured outputs from OpenAI results.

Reads only public fields of the client's response models, with ``getattr``
defaults so a field missing in another client version yields no attribute
rather than an error. The output is the assistant message as plain data, built
directly (``model_dump`` would cost more than the whole span).
"""

from __future__ import annotations

from typing import Any

from ... import attributes as attrs


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


_CHAT_USAGE = (
    "prompt_tokens",
    "completion_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
)
_RESPONSES_USAGE = (
    "input_tokens",
    "output_tokens",
    "input_tokens_details",
    "output_tokens_details",
)


def usage_attributes(usage: Any, out: dict[str, Any]) -> None:
    """Token counts from either usage shape (chat: prompt/completion; responses: input/output)."""
    if usage is None:
        return
    # Pick the shape first: asking a pydantic model for a field it lacks costs ~2 µs.
    fields = getattr(usage, "__dict__", None)
    if isinstance(fields, dict):
        responses = "input_tokens" in fields and "prompt_tokens" not in fields
    else:
        responses = _int(getattr(usage, "prompt_tokens", None)) is None
    input_key, output_key, input_details, output_details = (
        _RESPONSES_USAGE if responses else _CHAT_USAGE
    )
    # _put(out, key, _int(value)), inline: once per call, every call
    value = getattr(usage, input_key, None)
    if isinstance(value, int) and value.__class__ is not bool:
        out[attrs.GEN_AI_USAGE_INPUT_TOKENS] = value
    value = getattr(usage, output_key, None)
    if isinstance(value, int) and value.__class__ is not bool:
        out[attrs.GEN_AI_USAGE_OUTPUT_TOKENS] = value
    # The details are objects in OpenAI's client, plain dicts in Mistral's.
    details = getattr(usage, input_details, None)
    if details is not None:
        if details.__class__ is dict:
            value = details.get("cached_tokens")
        else:
            value = getattr(details, "cached_tokens", None)
        if isinstance(value, int) and value.__class__ is not bool:
            out[attrs.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = value
    details = getattr(usage, output_details, None)
    if details is not None:
        if details.__class__ is dict:
            value = details.get("reasoning_tokens")
        else:
            value = getattr(details, "reasoning_tokens", None)
        if isinstance(value, int) and value.__class__ is not bool:
            out[attrs.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = value


def _identity(result: Any, out: dict[str, Any]) -> None:
    model = getattr(result, "model", None)
    if isinstance(model, str) and model:
        out[attrs.GEN_AI_RESPONSE_MODEL] = model
    rid = getattr(result, "id", None)
    if isinstance(rid, str) and rid:
        out[attrs.GEN_AI_RESPONSE_ID] = rid
    tier = getattr(result, "service_tier", None)
    if isinstance(tier, str):
        out[attrs.OPENAI_RESPONSE_SERVICE_TIER] = tier


# --- chat.completions ---------------------------------------------------------------


def tool_call(call_id: Any, name: Any, arguments: Any, kind: str = "function") -> dict[str, Any]:
    return {"id": call_id, "type": kind, "function": {"name": name, "arguments": arguments}}


def _chat_message(message: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "role": getattr(message, "role", "assistant"),
        "content": getattr(message, "content", None),
    }
    refusal = getattr(message, "refusal", None)
    if refusal:
        out["refusal"] = refusal
    calls = getattr(message, "tool_calls", None)
    if calls:
        listed = []
        for call in calls:
            function = getattr(call, "function", None)
            if function is not None:
                listed.append(tool_call(call.id, function.name, function.arguments))
            else:  # custom tools carry free-form input instead of a function
                custom = getattr(call, "custom", None)
                listed.append(
                    tool_call(
                        call.id,
                        getattr(custom, "name", None),
                        getattr(custom, "input", None),
                        getattr(call, "type", "custom"),
                    )
                )
        out["tool_calls"] = listed
    return out


def chat_response(result: Any, out: dict[str, Any]) -> Any:
    """Attributes of a ChatCompletion into ``out``; returns the output to capture."""
    _identity(result, out)
    fingerprint = getattr(result, "system_fingerprint", None)
    if isinstance(fingerprint, str):
        out[attrs.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    usage_attributes(getattr(result, "usage", None), out)
    choices = getattr(result, "choices", None) or ()
    if len(choices) == 1:  # the usual case, without two comprehensions
        choice = choices[0]
        out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = (choice.finish_reason or "",)
        return _chat_message(choice.message)
    # a tuple: what span attributes keep a list as
    out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = tuple([c.finish_reason or "" for c in choices])
    return [_chat_message(c.message) for c in choices]


# --- responses ----------------------------------------------------------------------


def responses_output(items: Any) -> dict[str, Any]:
    """The assistant message (text + tool calls) from a Response's output items."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in items or ():
        kind = getattr(item, "type", None)
        if kind == "message":
            for part in getattr(item, "content", None) or ():
                text = getattr(part, "text", None)
                if text is None:
                    text = getattr(part, "refusal", None)
                if isinstance(text, str):
                    texts.append(text)
        elif kind == "function_call":
            calls.append(tool_call(item.call_id, item.name, item.arguments))
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    return message


def finish_reasons(result: Any) -> list[str]:
    """Responses have a status, not finish reasons: ``incomplete`` gives its reason."""
    status = getattr(result, "status", None)
    if status == "incomplete":
        reason = getattr(getattr(result, "incomplete_details", None), "reason", None)
        return [reason or status]
    return [status] if isinstance(status, str) else []


def responses_response(result: Any, out: dict[str, Any]) -> Any:
    _identity(result, out)
    usage_attributes(getattr(result, "usage", None), out)
    out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = finish_reasons(result)
    return responses_output(getattr(result, "output", None))


# --- embeddings ---------------------------------------------------------------------


def _dimensions(vector: Any) -> int | None:
    if isinstance(vector, str):  # encoding_format="base64": packed float32
        padding = len(vector) - len(vector.rstrip("="))
        return (len(vector) * 3 // 4 - padding) // 4
    try:
        return len(vector)
    except TypeError:
        return None


def embeddings_response(result: Any, out: dict[str, Any]) -> Any:
    """Counts and dimensions only: the vectors themselves are never captured."""
    model = getattr(result, "model", None)
    if isinstance(model, str) and model:
        out[attrs.GEN_AI_RESPONSE_MODEL] = model
    usage = getattr(result, "usage", None)
    if usage is not None:
        _put(out, attrs.GEN_AI_USAGE_INPUT_TOKENS, _int(getattr(usage, "prompt_tokens", None)))
    data = getattr(result, "data", None) or ()
    dims = _dimensions(data[0].embedding) if data else None
    _put(out, attrs.GEN_AI_EMBEDDINGS_DIMENSION_COUNT, dims)
    return {"count": len(data), "dimensions": dims}
