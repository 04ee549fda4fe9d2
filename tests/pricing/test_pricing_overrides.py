"""User override files: precedence, projects, $0 on purpose, Azure deployments, bad files."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from spanwise_pricing import PriceBook, PriceFormatError, Usage

U = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
AT = datetime(2025, 6, 1, tzinfo=UTC)

OVERRIDES = """\
# negotiated and self-hosted prices
models:
  - provider: openai
    id: gpt-4o
    prices:
      - valid_from: 2025-01-01
        input: 2.00
        output: "8"
      - valid_from: 2025-07-01
        input: 1.50
        output: 6
  - id: llama-3-8b-local
    match: {starts_with: "meta-llama/"}
    prices:
      - valid_from: 2024-01-01
        input: 0
        output: 0
  - provider: azure
    id: prod-chat
    aliases: [eu-chat]
    same_as: gpt-4o-mini
projects:
  research:
    - provider: openai
      id: gpt-4o
      prices:
        - {valid_from: 2024-01-01, version: research-deal-2024, input: 1, output: 4}
"""


def write(tmp_path: Path, text: str, name: str = "my-prices.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def book(tmp_path) -> PriceBook:
    return PriceBook.load(overrides=[write(tmp_path, OVERRIDES)])


def test_override_wins_over_builtin(book):
    # Override: $2.00 in + $8 out for 1M + 1M tokens.
    res = book.price(provider="openai", model="gpt-4o-2024-08-06", at=AT, usage=U)
    assert (res.status, res.total) == ("ok", D(10))
    assert res.price_version == "my-prices.yaml@2025-01-01"
    assert res.model_id == "gpt-4o"


def test_override_versions_apply_by_timestamp(book):
    # Second override version from 2025-07-01: $1.50 + $6.
    july = int(datetime(2025, 7, 1, tzinfo=UTC).timestamp()) * 1_000_000_000
    res = book.price(provider="openai", model="gpt-4o", at=july, usage=U)
    assert (res.total, res.price_version) == (D("7.5"), "my-prices.yaml@2025-07-01")
    res = book.price(provider="openai", model="gpt-4o", at=july - 1, usage=U)
    assert (res.total, res.price_version) == (D(10), "my-prices.yaml@2025-01-01")


def test_before_an_override_starts_the_builtin_price_applies(book):
    # openai.com/api/pricing gpt-4o: $2.50 + $10.
    res = book.price(provider="openai", model="gpt-4o", at=datetime(2024, 12, 31), usage=U)
    assert res.total == D("12.5")
    assert res.price_version.startswith("genai-prices@")


def test_project_scoped_override(book):
    res = book.price(provider="openai", model="gpt-4o", at=AT, usage=U, project="research")
    assert (res.total, res.price_version) == (D(5), "research-deal-2024")
    other = book.price(provider="openai", model="gpt-4o", at=AT, usage=U, project="other")
    assert other.total == D(10)


def test_self_hosted_zero_is_distinct_from_unknown(book):
    free = book.price(provider="localhost:8000", model="meta-llama/Llama-3-8B", at=AT, usage=U)
    assert free.status == "ok"
    assert free.total == D(0)
    assert free.model_id == "llama-3-8b-local"
    assert free.price_version == "my-prices.yaml@2024-01-01"
    unknown = book.price(provider="localhost:8000", model="my-org/custom-model-v3", at=AT, usage=U)
    assert unknown.status == "unknown_model"
    assert unknown.total is None


def test_azure_deployment_name_mapped_by_override(book, tmp_path):
    # openai.com/api/pricing gpt-4o-mini: $0.15 in + $0.60 out.
    for provider, name in [
        ("az.ai.openai", "prod-chat"),
        ("azure", "EU-chat"),
        (None, "azure/prod-chat"),
    ]:
        res = book.price(provider=provider, model=name, at=AT, usage=U)
        assert (res.status, res.model_id, res.total) == ("ok", "gpt-4o-mini", D("0.75")), name
    # The mapping is scoped to Azure, and without it the deployment name is unknown.
    assert (
        book.price(provider="openai", model="prod-chat", at=AT, usage=U).status == "unknown_model"
    )
    assert (
        PriceBook.builtin().price(provider="azure", model="prod-chat", at=AT, usage=U).status
        == "unknown_model"
    )


def test_later_file_wins(tmp_path):
    first = write(
        tmp_path,
        "models:\n  - {id: gpt-4o, prices: [{valid_from: 2020-01-01, input: 1, output: 1}]}\n",
        "a.yaml",
    )
    second = write(
        tmp_path,
        "models:\n  - {id: gpt-4o, prices: [{valid_from: 2020-01-01, input: 3, output: 3}]}\n",
        "b.yaml",
    )
    res = PriceBook.load(overrides=[first, second]).price(
        provider="openai", model="gpt-4o", at=AT, usage=U
    )
    assert (res.total, res.price_version) == (D(6), "b.yaml@2020-01-01")


def test_bad_override_file_names_lines_and_keys(tmp_path):
    path = write(
        tmp_path,
        """\
        models:
          - id: fine-tune-a
            prices:
              - valid_from: 2024-13-01
                inptu: 1
                output: -3
          - provider: azure
            match: {startswith: foo}
            prices: []
          - id: both
            same_as: gpt-4o
            prices: [{valid_from: 2024-01-01, input: 1}]
          - id: tiered
            prices:
              - valid_from: 2024-01-01
                input: 1
                tiers: [{above_input_tokens: -5, input: 2}]
        """,
    )
    with pytest.raises(PriceFormatError) as info:
        PriceBook.load(overrides=[path])
    errors = info.value.errors
    expected = [
        "line 4: models[0].prices[0].valid_from: must be a date YYYY-MM-DD, got '2024-13-01'",
        "line 5: models[0].prices[0].inptu: unknown key",
        "line 6: models[0].prices[0].output: must be a finite number >= 0, got -3",
        "line 7: models[1].id: missing",
        "line 8: models[1].match: unknown clause 'startswith'",
        "line 9: models[1].prices: missing",
        "models[2]: give either 'prices' or 'same_as', not both",
        "models[3].prices[0].tiers[0].above_input_tokens: must be a positive int, got -5",
    ]
    for fragment in expected:
        assert any(fragment in e for e in errors), (fragment, errors)
    assert "my-prices.yaml" in str(info.value)


def test_not_yaml_is_a_clear_error(tmp_path):
    path = write(tmp_path, "models:\n  - id: a\n    prices: [\n")
    with pytest.raises(PriceFormatError, match=r"line \d+: not valid YAML"):
        PriceBook.load(overrides=[path])


def test_empty_or_wrong_shape_file(tmp_path):
    with pytest.raises(PriceFormatError, match="no models"):
        PriceBook.load(overrides=[write(tmp_path, "# nothing\n")])
    with pytest.raises(PriceFormatError, match="must be a list of models"):
        PriceBook.load(overrides=[write(tmp_path, "models: {id: x}\n")])
