"""Usage validation, statuses and timestamp forms."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from spanwise_pricing import CostResult, PriceBook, Usage


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook.builtin()


@pytest.mark.parametrize(
    "usage",
    [
        Usage(input_tokens=-1),
        Usage(output_tokens=-5),
        Usage(input_tokens=10**12),  # absurd
        Usage(input_tokens=100, cached_input_tokens=101),  # a subset bigger than its total
        Usage(input_tokens=100, cached_input_tokens=60, cache_write_tokens=50),
        Usage(output_tokens=10, reasoning_tokens=11),
        Usage(input_tokens=True),
        Usage(input_tokens=1.5),
    ],
)
def test_invalid_usage(book, usage):
    res = book.price(provider="openai", model="gpt-4o", at=None, usage=usage)
    assert res.status == "invalid_usage"
    assert res.total is None
    assert res.detail


def test_anthropic_counts_not_summed_are_caught(book):
    # Raw Anthropic input_tokens excludes cache reads; passing it unsummed is inconsistent.
    res = book.price(
        provider="anthropic",
        model="claude-3-5-sonnet-latest",
        at=None,
        usage=Usage(input_tokens=12, cached_input_tokens=5_000, output_tokens=40),
    )
    assert res.status == "invalid_usage"
    assert "input_tokens must be the total" in res.detail


def test_no_usage_keeps_model(book):
    res = book.price(provider="openai", model="gpt-4o", at=None, usage=Usage())
    assert res.status == "no_usage"
    assert res.total is None
    assert res.model_id == "gpt-4o"


def test_timestamp_forms_agree(book):
    usage = Usage(input_tokens=1234, output_tokens=56)
    moment = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    forms = [
        moment,
        moment.replace(tzinfo=None),  # naive = UTC
        moment.astimezone(timezone(timedelta(hours=-8))),
        int(moment.timestamp()) * 1_000_000_000,
        date(2025, 3, 4),
    ]
    results = {book.price(provider="openai", model="gpt-4o", at=f, usage=usage) for f in forms}
    assert len(results) == 1


def test_results_are_frozen_decimals(book):
    res = book.price(
        provider="openai", model="gpt-4o", at=None, usage=Usage(input_tokens=3, output_tokens=7)
    )
    assert isinstance(res, CostResult)
    assert isinstance(res.total, Decimal)
    assert all(isinstance(v, Decimal) for v in res.breakdown.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.total = Decimal(0)  # type: ignore[misc]
