"""Token counts as span attributes, where providers agree on how to report them."""

from __future__ import annotations

from typing import Any

from ... import attributes as attrs


def put_cache_beside_input(out: dict[str, Any], plain: int | None, read: int, written: int) -> None:
    """Input counts of providers that report cache reads and writes *beside* the plain
    input (Anthropic, Bedrock): ``gen_ai.usage.input_tokens`` is every input token (OTel
    GenAI, and the pricing's "totals with subsets" rule), the cache parts within it."""
    if plain is None:
        return
    out[attrs.GEN_AI_USAGE_INPUT_TOKENS] = plain + read + written
    if read:
        out[attrs.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = read
    if written:
        out[attrs.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = written
