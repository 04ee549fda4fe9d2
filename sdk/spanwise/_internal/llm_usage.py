"""``LiveSpan.set_llm_usage``: a model call Spanwise does not instrument (raw HTTP, a
self-hosted model, an unsupported client) recorded by hand, so the collector prices it.

Written as the OpenTelemetry GenAI conventions spell it (what the autologs write):
input tokens are the whole prompt, cached reads and cache writes included; output
tokens include reasoning.
"""

from __future__ import annotations

import numbers
from typing import Any

from . import attributes as attrs

__all__ = ["llm_usage_attributes"]

_COUNTS = (
    ("input_tokens", attrs.GEN_AI_USAGE_INPUT_TOKENS),
    ("output_tokens", attrs.GEN_AI_USAGE_OUTPUT_TOKENS),
    ("cached_input_tokens", attrs.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
    ("cache_write_input_tokens", attrs.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS),
    ("reasoning_tokens", attrs.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS),
)


def llm_usage_attributes(
    model: str | None, provider: str | None, counts: dict[str, Any]
) -> dict[str, Any]:
    """The span attributes for a hand-recorded call; ``ValueError`` naming the argument
    for a count that is not a whole number >= 0 or a name that is not text."""
    out: dict[str, Any] = {}
    for name, value, key in (
        ("model", model, attrs.GEN_AI_REQUEST_MODEL),
        ("provider", provider, attrs.GEN_AI_PROVIDER_NAME),
    ):
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be non-empty text, got {value!r}")
        out[key] = value.strip()
    for name, key in _COUNTS:
        value = counts.get(name)
        if value is None:
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif not isinstance(value, (bool, int)) and isinstance(value, numbers.Integral):
            value = int(value)  # numpy's integers, e.g. a tokenizer's attention_mask.sum()
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        out[key] = value
    return out
