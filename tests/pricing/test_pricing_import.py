"""`spanwise pricing import`: genai-prices → our table, keeping history; the shipped snapshot."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D
from importlib import resources

import yaml
from click.testing import CliRunner
from spanwise_pricing import PriceBook, Usage
from spanwise_pricing.cli import pricing
from spanwise_pricing.importer import import_prices

U = Usage(input_tokens=1_000_000, output_tokens=1_000_000)


def genai_prices_file(path, input_mtok, extra_models=()):
    """A minimal data.json in genai-prices' published format."""
    models = [
        {
            "id": "acme-1",
            "match": {"or": [{"equals": "acme-1"}, {"starts_with": "acme-1-"}]},
            "prices": {"input_mtok": input_mtok, "output_mtok": 4},
        },
        *extra_models,
    ]
    providers = [
        {
            "id": "acme",
            "name": "Acme AI",
            "api_pattern": "https://api\\.acme\\.test",
            "model_match": {"starts_with": "acme-"},
            "models": models,
        }
    ]
    path.write_text(json.dumps(providers), encoding="utf-8")
    return path


def test_import_keeps_history_when_a_price_changes(tmp_path):
    data = tmp_path / "data"
    src = tmp_path / "data.json"
    dated = {
        "id": "acme-2",
        "match": {"equals": "acme-2"},
        "prices": [
            {"prices": {"input_mtok": 1, "output_mtok": 1}},
            {
                "constraint": {"start_date": "2025-03-01"},
                "prices": {"input_mtok": 2, "output_mtok": 2},
            },
        ],
    }
    first = import_prices(
        str(genai_prices_file(src, 2, [dated])), data_dir=data, as_of=date(2025, 1, 10)
    )
    assert (first.new_models, first.files_written) == (2, ["acme.yaml"])

    # Same data again: nothing to write.
    again = import_prices(str(src), data_dir=data, as_of=date(2025, 1, 11))
    assert again.files_written == [] and again.changed_models == 0

    # The source changes acme-1's price in place and drops acme-2.
    second = import_prices(str(genai_prices_file(src, 3)), data_dir=data, as_of=date(2025, 5, 1))
    assert (second.changed_models, second.new_versions, second.kept_models) == (1, 1, 1)

    doc = yaml.safe_load((data / "acme.yaml").read_text())
    acme1 = next(m for m in doc["models"] if m["id"] == "acme-1")
    assert [(v["valid_from"], v["input"]) for v in acme1["prices"]] == [
        (date(1970, 1, 1), "2"),
        (date(2025, 5, 1), "3"),
    ]

    book = PriceBook.load(data_dir=data)
    old = book.price(provider="acme", model="acme-1-0425", at=date(2025, 4, 30), usage=U)
    new = book.price(provider="api.acme.test", model="acme-1", at=date(2025, 5, 1), usage=U)
    assert (old.total, old.price_version) == (D(6), "genai-prices@1970-01-01")
    assert (new.total, new.price_version) == (D(7), "genai-prices@2025-05-01")
    # The dropped model still prices old calls, with its dated change.
    assert book.price(provider=None, model="acme-2", at=date(2025, 2, 1), usage=U).total == D(2)
    assert book.price(provider=None, model="acme-2", at=date(2025, 3, 1), usage=U).total == D(4)


def test_import_command_from_installed_genai_prices(tmp_path):
    result = CliRunner().invoke(
        pricing, ["import", "--data-dir", str(tmp_path), "--as-of", "2025-06-01"]
    )
    assert result.exit_code == 0, result.output
    assert "openai.yaml" in result.output
    book = PriceBook.load(data_dir=tmp_path)
    # openai.com/api/pricing gpt-4o: $2.50 + $10.
    assert book.price(provider="openai", model="gpt-4o", at=None, usage=U).total == D("12.5")


def test_import_of_a_bad_file_is_a_clear_error(tmp_path):
    src = tmp_path / "x.json"
    src.write_text('{"not": "a list"}')
    result = CliRunner().invoke(
        pricing, ["import", "--source", str(src), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "expected a genai-prices data.json" in result.output


def test_snapshot_ships_inside_the_package():
    data = resources.files("spanwise_pricing") / "data"
    names = {p.name for p in data.iterdir()}
    assert {"openai.yaml", "anthropic.yaml", "google.yaml"} <= names
    doc = yaml.safe_load((data / "openai.yaml").read_text(encoding="utf-8"))
    assert doc["provider"] == "openai"
    assert all(v["valid_from"] and v["version"] for m in doc["models"] for v in m["prices"])
