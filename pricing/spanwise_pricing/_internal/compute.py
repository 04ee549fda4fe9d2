"""Usage × one price version → cost per usage type, in exact Decimal arithmetic."""

from __future__ import annotations

from decimal import Decimal

from spanwise_pricing.table import PriceVersion
from spanwise_pricing.usage import Usage

__all__ = ["cost_breakdown"]

_ZERO = Decimal(0)


def _part(out: dict[str, Decimal], key: str, tokens: int, price: Decimal | None) -> None:
    if tokens > 0:
        # Prices are per million tokens; scaleb(-6) divides exactly, with no rounding.
        out[key] = (Decimal(tokens) * (price if price is not None else _ZERO)).scaleb(-6)


def cost_breakdown(version: PriceVersion, usage: Usage) -> dict[str, Decimal]:
    """Cost of ``usage`` (already validated) under ``version``.

    Subsets are split off their totals and priced at their own rate, falling back to the plain
    input/output rate when the model has no separate price for them: cached reads, cache
    writes and audio are parts of input; reasoning and audio are parts of output. A missing
    plain rate (e.g. no output price for an embedding model) prices that part at 0.
    """
    p = version.prices_for(usage.input_tokens)
    p_in, p_out = p.get("input"), p.get("output")
    out: dict[str, Decimal] = {}
    plain_in = (
        usage.input_tokens
        - usage.cached_input_tokens
        - usage.cache_write_tokens
        - usage.audio_input_tokens
    )
    _part(out, "input", plain_in, p_in)
    _part(out, "cached_input", usage.cached_input_tokens, p.get("cached_input", p_in))
    _part(out, "cache_write", usage.cache_write_tokens, p.get("cache_write", p_in))
    _part(out, "audio_input", usage.audio_input_tokens, p.get("audio_input", p_in))
    plain_out = usage.output_tokens - usage.reasoning_tokens - usage.audio_output_tokens
    _part(out, "output", plain_out, p_out)
    _part(out, "reasoning", usage.reasoning_tokens, p.get("reasoning", p_out))
    _part(out, "audio_output", usage.audio_output_tokens, p.get("audio_output", p_out))
    if "request" in p:
        out["request"] = p["request"]
    return out
