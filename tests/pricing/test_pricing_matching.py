"""Model-name matching: dated snapshots, provider prefixes, OTel provider names, hosts, unknowns."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from spanwise_pricing import PriceBook, Usage

AT = datetime(2025, 6, 1, tzinfo=UTC)
U = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
# openai.com/api/pricing: gpt-4o $2.50 in + $10 out per 1M → $12.50 for 1M + 1M.
GPT4O = D("12.50")


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook.builtin()


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("openai", "gpt-4o"),
        ("openai", "gpt-4o-2024-08-06"),  # dated snapshot
        ("openai", "GPT-4o-2024-11-20"),  # case-insensitive
        (None, "gpt-4o"),  # no provider: the name says OpenAI
        (None, "openai/gpt-4o"),  # provider prefix
        ("litellm", "openai/gpt-4o"),
        (None, "gpt-4o-20240806"),  # compact date as LiteLLM/OpenRouter write it
        ("api.openai.com", "gpt-4o"),  # API host
        ("https://api.openai.com/v1", "gpt-4o"),
        ("az.ai.openai", "gpt-4o"),  # OTel name for Azure OpenAI → falls back to OpenAI's table
        ("my-proxy.internal:8000", "gpt-4o"),  # unrecognised host → model-name rules
    ],
)
def test_gpt4o_spellings(book, provider, model):
    res = book.price(provider=provider, model=model, at=AT, usage=U)
    assert (res.status, res.model_id, res.total) == ("ok", "gpt-4o", GPT4O)


def test_dated_snapshot_with_its_own_price(book):
    # openai.com/api/pricing: gpt-4o-2024-05-13 is $5 in / $15 out, not gpt-4o's price.
    res = book.price(provider="openai", model="gpt-4o-2024-05-13", at=AT, usage=U)
    assert (res.model_id, res.total) == ("gpt-4o-2024-05-13", D(20))


@pytest.mark.parametrize(
    ("provider", "model", "model_id"),
    [
        ("anthropic", "claude-3-5-sonnet-20240620", "claude-3-5-sonnet"),
        (None, "anthropic/claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
        ("openai", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),  # via an OpenAI-style proxy
        ("gcp.vertex_ai", "gemini-2.0-flash-001", "gemini-2.0-flash"),
    ],
)
def test_other_providers(book, provider, model, model_id):
    res = book.price(provider=provider, model=model, at=AT, usage=U)
    assert (res.status, res.model_id) == ("ok", model_id)


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("openai", "my-finetune-without-price"),
        (None, "llama-3-8b-instruct"),
        ("localhost:8000", "meta-llama/Llama-3-8B"),
        ("anthropic", ""),
        (None, None),
    ],
)
def test_unknown_model_is_never_zero(book, provider, model):
    res = book.price(provider=provider, model=model, at=AT, usage=U)
    assert res.status == "unknown_model"
    assert res.total is None
    assert res.breakdown == {}
    assert res.price_version is None


def test_lookup_is_cached(book):
    book.price(provider="openai", model="gpt-4o-mini", at=AT, usage=U)
    hits = book._resolve_cached.cache_info().hits
    book.price(provider="OpenAI", model="GPT-4o-mini ", at=AT, usage=U)
    assert book._resolve_cached.cache_info().hits == hits + 1
