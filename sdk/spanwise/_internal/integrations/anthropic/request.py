"""Span attributes and captured inputs from the arguments of an Anthropic call.

Helpers forward every parameter, unset ones as the client's ``omit``/``NOT_GIVEN``
sentinels, so each value is taken only when it has the type the parameter takes.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from ... import attributes as attrs

_NUMBERS = (
    ("max_tokens", attrs.GEN_AI_REQUEST_MAX_TOKENS),
    ("temperature", attrs.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", attrs.GEN_AI_REQUEST_TOP_P),
    ("top_k", attrs.GEN_AI_REQUEST_TOP_K),
)


def messages_request(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    get = kwargs.get
    for key, attr in _NUMBERS:
        value = get(key)
        if isinstance(value, (int, float)) and value.__class__ is not bool:
            out[attr] = value
    stop = get("stop_sequences")
    if isinstance(stop, (list, tuple)) and stop and all(isinstance(s, str) for s in stop):
        out[attrs.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stop)
    if get("stream") is True:
        out[attrs.GEN_AI_REQUEST_STREAM] = True
    config = get("output_config")
    if (isinstance(config, Mapping) and isinstance(config.get("format"), Mapping)) or isinstance(
        get("output_format"), (type, Mapping)
    ):
        out[attrs.GEN_AI_OUTPUT_TYPE] = "json"


def messages_inputs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The conversation as sent: ``system`` is a parameter of its own at Anthropic."""
    inputs: dict[str, Any] = {"messages": kwargs.get("messages")}
    system = kwargs.get("system")
    if isinstance(system, (str, list, tuple)):
        inputs["system"] = system
    tools = kwargs.get("tools")
    if isinstance(tools, (list, tuple)) and tools:
        inputs["tools"] = tools
    return inputs


# --- provider and server, from the client's base URL ----------------------------------

_ANTHROPIC = attrs.GEN_AI_PROVIDER_ANTHROPIC
# Where Claude is served besides Anthropic's API, by host: the provider's prices apply.
_HOST_PROVIDERS = (
    (".amazonaws.com", "aws.bedrock"),
    ("aiplatform.googleapis.com", "gcp.vertex_ai"),
)

# id(client) -> (weak reference, base_url seen, attributes). Plain dict operations are
# atomic under the GIL: no lock.
_CACHE: dict[int, tuple[Any, Any, dict[str, Any]]] = {}
_CACHE_LIMIT = 256


def provider_attributes(resource: Any) -> dict[str, Any]:
    """``gen_ai.provider.name``/``gen_ai.system`` and ``server.*`` for a resource's client.
    Any other host (a gateway, a proxy, a test server) still serves Anthropic's models."""
    client = getattr(resource, "_client", None)
    base_url = getattr(client, "base_url", None)
    cached = _CACHE.get(id(client))
    if cached is not None and cached[0]() is client and cached[1] is base_url:
        return cached[2]
    host = str(getattr(base_url, "host", "") or "")
    provider = next((p for suffix, p in _HOST_PROVIDERS if host.endswith(suffix)), _ANTHROPIC)
    found: dict[str, Any] = {attrs.GEN_AI_PROVIDER_NAME: provider, attrs.GEN_AI_SYSTEM: provider}
    if host:
        scheme = str(getattr(base_url, "scheme", "") or "https")
        port = getattr(base_url, "port", None) or (443 if scheme == "https" else 80)
        found[attrs.SERVER_ADDRESS] = host
        found[attrs.SERVER_PORT] = int(port)
    if client is not None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        try:
            _CACHE[id(client)] = (weakref.ref(client), base_url, found)
        except TypeError:  # not weak-referenceable: just don't cache
            pass
    return found
