"""Model, provider, request parameters and token usage of LangChain LLM runs,
as the same GenAI attributes the OpenAI integration writes (so the collector
prices LangChain LLM spans the same way)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import attributes as attrs

# invocation_params keys → GenAI request attributes (first present wins).
_PARAMS = (
    (attrs.GEN_AI_REQUEST_TEMPERATURE, ("temperature",)),
    (attrs.GEN_AI_REQUEST_TOP_P, ("top_p",)),
    (attrs.GEN_AI_REQUEST_MAX_TOKENS, ("max_tokens", "max_completion_tokens", "max_output_tokens")),
    (attrs.GEN_AI_REQUEST_SEED, ("seed",)),
)
_MODEL_KEYS = ("model", "model_name", "model_id", "deployment_name")
_REASON_KEYS = ("finish_reason", "stop_reason", "stopReason")


def _first(mapping: Mapping[str, Any] | None, keys: tuple[str, ...]) -> Any:
    if not mapping:
        return None
    for key in keys:
        value = mapping.get(key)
        if value is not None and value != "":
            return value
    return None


def request_attributes(
    serialized: Mapping[str, Any] | None,
    invocation_params: Mapping[str, Any] | None,
    metadata: Mapping[str, Any] | None,
    operation: str,
) -> dict[str, Any]:
    """Attributes known when the model is called."""
    out: dict[str, Any] = {attrs.GEN_AI_OPERATION_NAME: operation}
    metadata = metadata or {}
    params = invocation_params or {}
    kwargs = (serialized or {}).get("kwargs") if isinstance(serialized, Mapping) else None
    model = (
        _first(params, _MODEL_KEYS)
        or metadata.get("ls_model_name")
        or _first(kwargs if isinstance(kwargs, Mapping) else None, _MODEL_KEYS)
    )
    if model:
        out[attrs.GEN_AI_REQUEST_MODEL] = str(model)
    provider = metadata.get("ls_provider") or _provider_from_class(serialized)
    if provider:
        out[attrs.GEN_AI_PROVIDER_NAME] = str(provider)
    for key, names in _PARAMS:
        value = _first(params, names)
        if value is None:
            value = metadata.get("ls_" + names[0])
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = value
    if params.get("stream") or params.get("streaming"):
        out[attrs.GEN_AI_REQUEST_STREAM] = True
    tools = params.get("tools")
    if tools:
        out[attrs.GEN_AI_TOOL_DEFINITIONS] = tools
    return out


def _provider_from_class(serialized: Mapping[str, Any] | None) -> str | None:
    """``ChatAnthropic`` → ``anthropic``: the same rule langchain-core uses for ls_provider."""
    ident = (serialized or {}).get("id") if isinstance(serialized, Mapping) else None
    if not ident or not isinstance(ident, list):
        return None
    name = str(ident[-1])
    if name.startswith("Chat"):
        name = name[4:]
    elif name.endswith("Chat"):
        name = name[:-4]
    return name.lower() or None


def usage_attributes(response: Any) -> dict[str, Any]:
    """Token counts from the generated messages' ``usage_metadata``, else ``llm_output``.
    An answer from LangChain's LLM cache replays the first call's usage with a
    ``total_cost`` of 0 (langchain-core's mark of a cache hit): nothing was spent, so
    no tokens are recorded (they would be priced again) and the span says why."""
    usage = _message_usage(response)
    if usage is not None:
        if _is_cache_hit(usage):
            return {attrs.LANGCHAIN_CACHE_HIT: True}
        return _from_usage_metadata(usage)
    llm_output = getattr(response, "llm_output", None) or {}
    raw = llm_output.get("token_usage") or llm_output.get("usage")
    if isinstance(raw, Mapping):
        return _from_provider_usage(raw)
    return {}


def _message_usage(response: Any) -> Mapping[str, Any] | None:
    for candidates in getattr(response, "generations", None) or []:
        for generation in candidates:
            usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
            if usage:
                return usage
    return None


def _is_cache_hit(usage: Mapping[str, Any]) -> bool:
    cost = usage.get("total_cost")
    return isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost == 0


def _from_usage_metadata(usage: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, attrs.GEN_AI_USAGE_INPUT_TOKENS, usage.get("input_tokens"))
    _put(out, attrs.GEN_AI_USAGE_OUTPUT_TOKENS, usage.get("output_tokens"))
    details_in = usage.get("input_token_details") or {}
    details_out = usage.get("output_token_details") or {}
    _put(out, attrs.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, details_in.get("cache_read"))
    _put(out, attrs.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, details_in.get("cache_creation"))
    _put(out, attrs.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, details_out.get("reasoning"))
    return out


def _from_provider_usage(raw: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI-style (prompt/completion) or Anthropic-style (input/output) usage dicts."""
    out: dict[str, Any] = {}
    _put(out, attrs.GEN_AI_USAGE_INPUT_TOKENS, _first(raw, ("prompt_tokens", "input_tokens")))
    _put(out, attrs.GEN_AI_USAGE_OUTPUT_TOKENS, _first(raw, ("completion_tokens", "output_tokens")))
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    cached = prompt_details.get("cached_tokens") if isinstance(prompt_details, Mapping) else None
    _put(
        out,
        attrs.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
        cached or raw.get("cache_read_input_tokens"),
    )
    _put(
        out, attrs.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, raw.get("cache_creation_input_tokens")
    )
    if isinstance(completion_details, Mapping):
        _put(
            out,
            attrs.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
            completion_details.get("reasoning_tokens"),
        )
    return out


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        out[key] = value


def response_attributes(response: Any) -> dict[str, Any]:
    """Response model, id and finish reasons of the first generation."""
    out: dict[str, Any] = {}
    llm_output = getattr(response, "llm_output", None) or {}
    generations = getattr(response, "generations", None) or []
    first = generations[0][0] if generations and generations[0] else None
    message = getattr(first, "message", None)
    meta = getattr(message, "response_metadata", None) or {}
    model = _first(meta, ("model_name", "model")) or _first(llm_output, ("model_name", "model"))
    if model:
        out[attrs.GEN_AI_RESPONSE_MODEL] = str(model)
    response_id = meta.get("id") or llm_output.get("id")
    if isinstance(response_id, str):
        out[attrs.GEN_AI_RESPONSE_ID] = response_id
    reasons = []
    for candidates in generations:
        for generation in candidates:
            info = getattr(generation, "generation_info", None) or {}
            gen_meta = getattr(getattr(generation, "message", None), "response_metadata", None)
            # OpenAI's and Gemini's finish_reason, Anthropic's stop_reason, Bedrock's stopReason
            reason = _first(info, _REASON_KEYS) or _first(gen_meta, _REASON_KEYS)
            if isinstance(reason, str):
                reasons.append(reason)
    if reasons:
        out[attrs.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
    return out
