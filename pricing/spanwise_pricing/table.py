"""The price table's data types: what one YAML price file parses into.

A price file (built-in ``data/<provider>.yaml`` or a user override file) holds
models; each model holds dated price versions; each version holds prices in USD
per million tokens (``request`` is USD per request) and optional tiers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

__all__ = [
    "EPOCH",
    "PRICE_KEYS",
    "TOKEN_PRICE_KEYS",
    "ModelPricing",
    "PriceVersion",
    "ProviderInfo",
    "Tier",
]

EPOCH = date(1970, 1, 1)

# USD per million tokens, in display order.
TOKEN_PRICE_KEYS: tuple[str, ...] = (
    "input",
    "cached_input",
    "cache_write",
    "output",
    "reasoning",
    "audio_input",
    "audio_output",
)
# `request` is a flat fee in USD per request.
PRICE_KEYS: tuple[str, ...] = (*TOKEN_PRICE_KEYS, "request")


@dataclass(frozen=True)
class Tier:
    """Prices that replace the base prices when a call's input tokens exceed ``above_input_tokens``.

    Cliff model (as Google and Anthropic bill): once a call crosses the threshold, *all* its
    tokens of the tier's usage types are billed at the tier price. Keys the tier omits keep the
    base (or lower tier) price.
    """

    above_input_tokens: int
    prices: Mapping[str, Decimal]


@dataclass(frozen=True)
class PriceVersion:
    """One dated price of a model: in force from ``valid_from`` (00:00 UTC) until the next version."""

    valid_from: date
    version: str
    prices: Mapping[str, Decimal]
    tiers: tuple[Tier, ...] = ()

    @property
    def day(self) -> int:
        """Days since 1970-01-01, the form the calculator compares timestamps in."""
        return (self.valid_from - EPOCH).days

    def prices_for(self, input_tokens: int) -> Mapping[str, Decimal]:
        """The prices that apply to a call with ``input_tokens`` total input tokens
        (read-only: the version's own mapping when no tier applies)."""
        if not self.tiers:
            return self.prices
        resolved = dict(self.prices)
        for tier in self.tiers:  # ascending thresholds: the highest crossed tier wins per key
            if input_tokens > tier.above_input_tokens:
                resolved.update(tier.prices)
        return resolved

    def same_prices(self, other: PriceVersion) -> bool:
        return self.prices == other.prices and self.tiers == other.tiers


@dataclass(frozen=True)
class ModelPricing:
    """A priced model: how names match it and its price history (oldest first).

    ``same_as`` (overrides only) prices the model as another one, e.g. an Azure deployment
    name mapped to ``gpt-4o``; it is ``(provider or None, model name)``.
    """

    id: str
    provider: str | None
    name: str | None = None
    aliases: tuple[str, ...] = ()
    match: Mapping[str, Any] | None = None
    versions: tuple[PriceVersion, ...] = ()
    same_as: tuple[str | None, str] | None = None
    source: str = ""
    _matcher: Callable[[str], bool] | None = field(
        default=None, repr=False, compare=False, hash=False
    )

    def exact_names(self) -> frozenset[str]:
        return frozenset(n.lower() for n in (self.id, *self.aliases))

    def pattern_matches(self, ref: str) -> bool:
        return self._matcher is not None and self._matcher(ref)

    def version_at(self, day: int) -> PriceVersion | None:
        """The version in force on ``day`` (days since epoch), or None before the first one."""
        found = None
        for version in self.versions:
            if version.day > day:
                break
            found = version
        return found


@dataclass(frozen=True)
class ProviderInfo:
    """A provider in the built-in table and how provider strings and model names identify it."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    provider_match: Mapping[str, Any] | None = None
    model_match: Mapping[str, Any] | None = None
    api_pattern: str | None = None
    fallback_providers: tuple[str, ...] = ()
    pricing_urls: tuple[str, ...] = ()
    source: str = ""
    models: tuple[ModelPricing, ...] = ()
    _provider_matcher: Callable[[str], bool] | None = field(
        default=None, repr=False, compare=False, hash=False
    )
    _model_matcher: Callable[[str], bool] | None = field(
        default=None, repr=False, compare=False, hash=False
    )
