"""Span attributes and captured inputs from the arguments of an OpenAI call.

The client's helpers (``.stream()``) forward every parameter, unset ones as the
``omit``/``NOT_GIVEN`` sentinels, so each value is accepted only when it has the
type the parameter really takes; sentinels fall out without naming their class.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from ... import attributes as attrs
from ..llm_client.streams import in_stream_helper

_AZURE_HOST_SUFFIXES = (
    ".openai.azure.com",
    ".cognitiveservices.azure.com",
    ".services.ai.azure.com",
)
_OPENAI_HOST = "api.openai.com"

# Set by the patcher once openai is imported: the Azure client base class.
AZURE_CLIENT_TYPES: tuple[type, ...] = ()


_NUMBER = (int, float)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers(kwargs: Mapping[str, Any], out: dict[str, Any], pairs: tuple[tuple[str, str], ...]):
    for key, attr in pairs:
        value = kwargs.get(key)
        if value is not None and _number(value):
            out[attr] = value


def _stop_sequences(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _listed(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0


# --- chat.completions ---------------------------------------------------------------

_CHAT_NUMBERS = (
    ("temperature", attrs.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", attrs.GEN_AI_REQUEST_TOP_P),
    ("max_completion_tokens", attrs.GEN_AI_REQUEST_MAX_TOKENS),
    ("max_tokens", attrs.GEN_AI_REQUEST_MAX_TOKENS),
    ("seed", attrs.GEN_AI_REQUEST_SEED),
    ("frequency_penalty", attrs.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", attrs.GEN_AI_REQUEST_PRESENCE_PENALTY),
)


def _output_type(response_format: Any) -> str | None:
    """``gen_ai.output.type`` from a chat ``response_format`` (dict or pydantic class)."""
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        if kind in ("json_schema", "json_object"):
            return "json"
        if kind == "text":
            return "text"
        return None
    if isinstance(response_format, type):
        return "json"  # .parse(response_format=SomeModel)
    return None


def _common(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    if kwargs.get("stream") is True:
        out[attrs.GEN_AI_REQUEST_STREAM] = True
    tier = kwargs.get("service_tier")
    if isinstance(tier, str):
        out[attrs.OPENAI_REQUEST_SERVICE_TIER] = tier


def chat_request(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    # Once per call among the client's own work: helpers are called only for
    # parameters that are there (each call is a few cache misses).
    get = kwargs.get
    for key, attr in _CHAT_NUMBERS:
        value = get(key)
        if value is not None and isinstance(value, _NUMBER) and value.__class__ is not bool:
            out[attr] = value
    n = get("n")
    if n is not None and isinstance(n, int) and n.__class__ is not bool and n != 1:
        out[attrs.GEN_AI_REQUEST_CHOICE_COUNT] = n
    stop = get("stop")
    if stop is not None:
        stop = _stop_sequences(stop)
        if stop:
            out[attrs.GEN_AI_REQUEST_STOP_SEQUENCES] = stop
    response_format = get("response_format")
    if response_format is not None:
        output_type = _output_type(response_format)
        if output_type:
            out[attrs.GEN_AI_OUTPUT_TYPE] = output_type
    if get("stream") is True:
        out[attrs.GEN_AI_REQUEST_STREAM] = True
    tier = get("service_tier")
    if tier is not None and isinstance(tier, str):
        out[attrs.OPENAI_REQUEST_SERVICE_TIER] = tier


def chat_inputs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    inputs: dict[str, Any] = {"messages": kwargs.get("messages")}
    tools = kwargs.get("tools")
    if tools is not None and _listed(tools):
        inputs["tools"] = tools
    return inputs


# --- responses ----------------------------------------------------------------------

_RESPONSES_NUMBERS = (
    ("temperature", attrs.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", attrs.GEN_AI_REQUEST_TOP_P),
    ("max_output_tokens", attrs.GEN_AI_REQUEST_MAX_TOKENS),
)


def responses_request(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    _numbers(kwargs, out, _RESPONSES_NUMBERS)
    if isinstance(kwargs.get("text_format"), type):
        out[attrs.GEN_AI_OUTPUT_TYPE] = "json"  # responses.parse(text_format=SomeModel)
    else:
        text = kwargs.get("text")
        if isinstance(text, Mapping):
            output_type = _output_type(text.get("format"))
            if output_type:
                out[attrs.GEN_AI_OUTPUT_TYPE] = output_type
    _common(kwargs, out)


def responses_inputs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    inputs: dict[str, Any] = {"input": kwargs.get("input")}
    instructions = kwargs.get("instructions")
    if isinstance(instructions, str):
        inputs["instructions"] = instructions
    tools = kwargs.get("tools")
    if _listed(tools):
        inputs["tools"] = tools
    return inputs


# --- embeddings ---------------------------------------------------------------------


def embeddings_request(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    fmt = kwargs.get("encoding_format")
    if isinstance(fmt, str):
        out[attrs.GEN_AI_REQUEST_ENCODING_FORMATS] = [fmt]


def embeddings_inputs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {"input": kwargs.get("input")}


# --- provider and server, from the client's base URL ----------------------------------

# id(client) -> (weak reference, the base_url object it was computed from, attributes,
# whether that object is the client's own ``_base_url``). Plain dict operations are
# atomic under the GIL: no lock needed.
# autolog(stream_usage=…): "auto" (OpenAI's own API), True (any server) or False.
STREAM_USAGE: bool | str = "auto"
_RAW_HEADER = "X-Stainless-Raw-Response"  # set by with_raw_response / with_streaming_response


def chat_stream_usage(resource: Any, kwargs: dict[str, Any]) -> bool:
    """Ask a streamed chat completion for its usage when the caller did not (without it
    the call has no token counts and no cost): ``stream_options={"include_usage": True}``
    on OpenAI's own API (any server with ``stream_usage=True``). True when we asked: the
    stream's extra usage-only last chunk is then kept from the caller. Left alone: raw
    responses (the caller reads the bytes) and the ``.stream()`` helpers (their events)."""
    mode = STREAM_USAGE
    if mode is False or kwargs.get("stream") is not True or "stream_options" in kwargs:
        return False
    headers = kwargs.get("extra_headers")
    if (isinstance(headers, Mapping) and _RAW_HEADER in headers) or in_stream_helper():
        return False
    if mode == "auto" and provider_attributes(resource).get(attrs.SERVER_ADDRESS) != _OPENAI_HOST:
        return False
    kwargs["stream_options"] = {"include_usage": True}
    return True


_PROVIDER_CACHE: dict[int, tuple[Any, Any, dict[str, Any], bool]] = {}
_CACHE_LIMIT = 256
_NO_FIELDS: dict[str, Any] = {}


def provider_attributes(resource: Any) -> dict[str, Any]:
    """``gen_ai.provider.name``/``gen_ai.system`` and ``server.*`` for a resource's client."""
    client = getattr(resource, "_client", None)
    if client is None:
        return {attrs.GEN_AI_PROVIDER_NAME: "openai", attrs.GEN_AI_SYSTEM: "openai"}
    cached = _PROVIDER_CACHE.get(id(client))
    if cached is not None and cached[0]() is client:
        # The public ``base_url`` property imports a module on every read in recent
        # clients; when it was seen to return the client's stored URL object, that
        # object (replaced by the setter) tells whether the URL is still the same.
        if cached[3]:
            if getattr(client, "__dict__", _NO_FIELDS).get("_base_url") is cached[1]:
                return cached[2]
        elif getattr(client, "base_url", None) is cached[1]:
            return cached[2]
    base_url = getattr(client, "base_url", None)
    found = _compute(client, base_url)
    stored = (
        base_url is not None
        and getattr(client, "__dict__", _NO_FIELDS).get("_base_url") is base_url
    )
    if len(_PROVIDER_CACHE) >= _CACHE_LIMIT:
        _PROVIDER_CACHE.clear()
    try:
        _PROVIDER_CACHE[id(client)] = (weakref.ref(client), base_url, found, stored)
    except TypeError:  # not weak-referenceable: just don't cache
        pass
    return found


def _compute(client: Any, base_url: Any) -> dict[str, Any]:
    host = str(getattr(base_url, "host", "") or "")
    scheme = str(getattr(base_url, "scheme", "") or "https")
    port = getattr(base_url, "port", None) or (443 if scheme == "https" else 80)
    if (AZURE_CLIENT_TYPES and isinstance(client, AZURE_CLIENT_TYPES)) or host.endswith(
        _AZURE_HOST_SUFFIXES
    ):
        provider, system = attrs.GEN_AI_PROVIDER_AZURE_OPENAI, "azure"
    elif host == _OPENAI_HOST or not host:
        provider = system = attrs.GEN_AI_PROVIDER_OPENAI
    else:
        provider = system = host
    found: dict[str, Any] = {attrs.GEN_AI_PROVIDER_NAME: provider, attrs.GEN_AI_SYSTEM: system}
    if host:
        found[attrs.SERVER_ADDRESS] = host
        found[attrs.SERVER_PORT] = int(port)
    return found
