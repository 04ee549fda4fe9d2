"""Spanwise pricing: exact, versioned costs of LLM calls.

>>> from spanwise_pricing import PriceBook, Usage
>>> book = PriceBook.load(overrides=("my-prices.yaml",))
>>> res = book.price(provider="openai", model="gpt-4o-2024-08-06", at=ts,
...                  usage=Usage(input_tokens=1200, cached_input_tokens=1000, output_tokens=300))
>>> res.status, res.total, res.breakdown, res.model_id, res.price_version

How each provider's usage maps to `Usage` is documented in `spanwise_pricing.usage`.
"""

from spanwise_pricing._internal.parse import PriceFormatError
from spanwise_pricing.book import Match, PriceBook, load_override_file
from spanwise_pricing.table import ModelPricing, PriceVersion, Tier
from spanwise_pricing.usage import CostResult, CostStatus, Usage

__all__ = [
    "CostResult",
    "CostStatus",
    "Match",
    "ModelPricing",
    "PriceBook",
    "PriceFormatError",
    "PriceVersion",
    "Tier",
    "Usage",
    "load_override_file",
]
