"""Span attributes and captured inputs from the arguments of a ``google-genai`` call.

``config`` is a ``GenerateContentConfig`` or a dict with the same (snake_case) keys;
both are read through `_field`. Values of the wrong type fall out, so a field added
or renamed in another client version costs an attribute, never the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import attributes as attrs

GEMINI_API = "gcp.gemini"
VERTEX_AI = "gcp.vertex_ai"
GENERATE = "generate_content"  # gen_ai.operation.name, as OTel GenAI names Gemini's

_NUMBERS = (
    ("temperature", attrs.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", attrs.GEN_AI_REQUEST_TOP_P),
    ("top_k", attrs.GEN_AI_REQUEST_TOP_K),
    ("max_output_tokens", attrs.GEN_AI_REQUEST_MAX_TOKENS),
    ("seed", attrs.GEN_AI_REQUEST_SEED),
    ("presence_penalty", attrs.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("frequency_penalty", attrs.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("candidate_count", attrs.GEN_AI_REQUEST_CHOICE_COUNT),
)


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def model_name(model: Any) -> str | None:
    """``models/gemini-2.5-flash`` and ``publishers/google/models/…`` → the model id."""
    if not isinstance(model, str) or not model:
        return None
    return model.rsplit("/", 1)[-1]


def provider_attributes(resource: Any) -> dict[str, Any]:
    """Gemini API or Vertex AI, from the client the resource belongs to."""
    vertex = getattr(getattr(resource, "_api_client", None), "vertexai", False) is True
    provider = VERTEX_AI if vertex else GEMINI_API
    return {attrs.GEN_AI_PROVIDER_NAME: provider, attrs.GEN_AI_SYSTEM: provider}


def generate_request(kwargs: Mapping[str, Any], out: dict[str, Any]) -> None:
    config = kwargs.get("config")
    for key, attr in _NUMBERS:
        value = _field(config, key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[attr] = value
    stops = _field(config, "stop_sequences")
    if isinstance(stops, (list, tuple)) and stops and all(isinstance(s, str) for s in stops):
        out[attrs.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stops)
    mime = _field(config, "response_mime_type")
    if isinstance(mime, str) and mime:
        out[attrs.GEN_AI_OUTPUT_TYPE] = "json" if mime == "application/json" else "text"
    elif _field(config, "response_schema") is not None:
        out[attrs.GEN_AI_OUTPUT_TYPE] = "json"


def plain(value: Any) -> Any:
    """google-genai's pydantic types as their set fields (``exclude_none``: their
    dumps are otherwise mostly nulls); raw bytes (images, audio) by size only."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return plain(dump(exclude_none=True))
        except Exception:
            return repr(value)
    if callable(value):  # a Python function given as a tool (automatic function calling)
        return {"function": getattr(value, "__name__", repr(value))}
    return value


def generate_inputs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """What the model was asked: the contents, and the system instruction and tools
    when the config has them."""
    inputs: dict[str, Any] = {"contents": plain(kwargs.get("contents"))}
    config = kwargs.get("config")
    system = _field(config, "system_instruction")
    if system is not None:
        inputs["system_instruction"] = plain(system)
    tools = _field(config, "tools")
    if tools:
        inputs["tools"] = plain(tools)
    return inputs


def embed_inputs(kwargs: Mapping[str, Any]) -> Any:
    return plain(kwargs.get("contents"))
