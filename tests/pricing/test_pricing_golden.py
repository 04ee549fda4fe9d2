"""Golden costs against providers' published prices, computed by hand (USD per 1M tokens)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from spanwise_pricing import PriceBook, Usage

AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
M = D(1_000_000)


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook.builtin()


def test_gpt4o_cached_tokens_are_a_subset_of_input(book):
    # openai.com/api/pricing, gpt-4o: input $2.50, cached input $1.25, output $10.00.
    # OpenAI usage: prompt_tokens=10_000 (cached_tokens=4_000 of them), completion_tokens=2_000.
    res = book.price(
        provider="openai",
        model="gpt-4o-2024-08-06",
        at=AT,
        usage=Usage(input_tokens=10_000, cached_input_tokens=4_000, output_tokens=2_000),
    )
    assert res.status == "ok"
    assert res.breakdown == {
        "input": 6_000 * D("2.50") / M,
        "cached_input": 4_000 * D("1.25") / M,
        "output": 2_000 * D("10.00") / M,
    }
    assert res.total == D("0.040")  # 0.015 + 0.005 + 0.020; 10_000 input tokens billed once
    assert res.model_id == "gpt-4o"
    assert res.provider == "openai"
    assert res.price_version.startswith("genai-prices@")


def test_gpt4o_mini_with_cache(book):
    # openai.com/api/pricing, gpt-4o-mini: input $0.15, cached input $0.075, output $0.60.
    res = book.price(
        provider="openai",
        model="gpt-4o-mini",
        at=AT,
        usage=Usage(input_tokens=100_000, cached_input_tokens=50_000, output_tokens=10_000),
    )
    assert res.total == D("0.0075") + D("0.00375") + D("0.006")
    assert res.total == D("0.01725")


def test_o1_reasoning_tokens_are_part_of_output(book):
    # openai.com/api/pricing, o1: input $15, cached input $7.50, output $60; reasoning tokens
    # are billed as output tokens and are included in completion_tokens.
    res = book.price(
        provider="openai",
        model="o1-2024-12-17",
        at=AT,
        usage=Usage(
            input_tokens=2_000,
            cached_input_tokens=1_024,
            output_tokens=5_000,
            reasoning_tokens=4_000,
        ),
    )
    assert res.breakdown["input"] == 976 * D(15) / M
    assert res.breakdown["cached_input"] == 1_024 * D("7.5") / M
    assert res.breakdown["output"] == 1_000 * D(60) / M
    assert res.breakdown["reasoning"] == 4_000 * D(60) / M
    # All 5_000 completion tokens at $60, never 9_000.
    assert res.total == D("0.01464") + D("0.00768") + D("0.3")


def test_o3_mini_reasoning(book):
    # openai.com/api/pricing, o3-mini: input $1.10, output $4.40.
    res = book.price(
        provider="openai",
        model="o3-mini",
        at=AT,
        usage=Usage(input_tokens=1_000, output_tokens=3_000, reasoning_tokens=2_500),
    )
    assert res.total == D("0.0011") + D("0.0022") + D("0.011")
    assert res.model_id == "o3-mini"


def test_claude_sonnet_cache_read_and_write(book):
    # anthropic.com/pricing, Claude 3.5 Sonnet: input $3, cache write $3.75, cache read $0.30,
    # output $15. Anthropic reports input_tokens=1_500 BESIDE cache_read_input_tokens=10_000
    # and cache_creation_input_tokens=2_000; Usage.input_tokens is their sum (13_500).
    res = book.price(
        provider="anthropic",
        model="claude-3-5-sonnet-20241022",
        at=AT,
        usage=Usage(
            input_tokens=1_500 + 10_000 + 2_000,
            cached_input_tokens=10_000,
            cache_write_tokens=2_000,
            output_tokens=800,
        ),
    )
    assert res.status == "ok"
    assert res.breakdown == {
        "input": D("0.0045"),
        "cached_input": D("0.003"),
        "cache_write": D("0.0075"),
        "output": D("0.012"),
    }
    assert res.total == D("0.027")
    assert res.model_id == "claude-3-5-sonnet"


def test_claude_sonnet_4_dated_snapshot(book):
    # anthropic.com/pricing, Claude Sonnet 4: input $3, output $15.
    res = book.price(
        provider="anthropic",
        model="claude-sonnet-4-20250514",
        at=AT,
        usage=Usage(input_tokens=10_000, output_tokens=1_000),
    )
    assert res.total == D("0.03") + D("0.015")


@pytest.mark.parametrize(
    ("input_tokens", "expected"),
    [
        # ai.google.dev/gemini-api/docs/pricing, Gemini 2.5 Pro: prompts <= 200k tokens:
        # input $1.25, output $10; prompts > 200k: input $2.50, output $15 (all tokens).
        (100_000, 100_000 * D("1.25") / M + 5_000 * D(10) / M),
        (200_000, 200_000 * D("1.25") / M + 5_000 * D(10) / M),  # not above the threshold
        (250_000, 250_000 * D("2.50") / M + 5_000 * D(15) / M),
    ],
)
def test_gemini_25_pro_tiers(book, input_tokens, expected):
    # Gemini: candidates_token_count=3_000 + thoughts_token_count=2_000 → output_tokens=5_000.
    res = book.price(
        provider="gcp.gemini",
        model="gemini-2.5-pro",
        at=AT,
        usage=Usage(input_tokens=input_tokens, output_tokens=5_000, reasoning_tokens=2_000),
    )
    assert res.status == "ok"
    assert res.total == expected
    assert res.provider == "google"


def test_gemini_15_pro_tier_at_128k(book):
    # ai.google.dev/gemini-api/docs/pricing (Gemini 1.5 Pro): <= 128k input $1.25, output $5;
    # > 128k input $2.50, output $10.
    res = book.price(
        provider="google",
        model="gemini-1.5-pro-002",
        at=AT,
        usage=Usage(input_tokens=130_000, output_tokens=1_000),
    )
    assert res.total == D("0.325") + D("0.01")


def test_gemini_flash(book):
    # ai.google.dev/gemini-api/docs/pricing, Gemini 2.0 Flash: input $0.10, output $0.40.
    res = book.price(
        provider=None,
        model="models/gemini-2.0-flash",
        at=AT,
        usage=Usage(input_tokens=1_000_000, output_tokens=1_000_000),
    )
    assert res.total == D("0.50")
    assert res.model_id == "gemini-2.0-flash"


def test_builtin_price_change_between_two_timestamps(book):
    # genai-prices 0.2.3 (Mistral pricing page): Ministral 8B input/output $0.10 until
    # 2025-12-01, $0.15 from 2025-12-02 — two dated versions in data/mistral.yaml.
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    before = book.price(
        provider="mistral",
        model="ministral-8b-latest",
        at=datetime(2025, 12, 1, 23, 59),
        usage=usage,
    )
    after = book.price(
        provider="mistral", model="ministral-8b-latest", at=datetime(2025, 12, 2, 0, 0), usage=usage
    )
    assert before.total == D("0.20")
    assert after.total == D("0.30")
    assert before.price_version == "genai-prices@1970-01-01"
    assert after.price_version == "genai-prices@2025-12-02"
