"""`spanwise pricing show|check` through click's runner."""

from __future__ import annotations

from click.testing import CliRunner
from spanwise_pricing.cli import pricing


def test_show_prints_match_version_and_prices():
    result = CliRunner().invoke(
        pricing, ["show", "gpt-4o-2024-08-06", "--provider", "openai", "--at", "2025-01-01"]
    )
    assert result.exit_code == 0, result.output
    assert "model gpt-4o" in result.output
    assert "genai-prices@" in result.output
    assert "$2.5" in result.output and "$1.25" in result.output and "$10" in result.output


def test_show_tiers_and_history():
    out = CliRunner().invoke(pricing, ["show", "gemini-2.5-pro"]).output
    assert "input > 200,000" in out and "$15" in out
    out = CliRunner().invoke(pricing, ["show", "ministral-8b-latest", "--at", "2025-06-01"]).output
    assert "price history" in out and "2025-12-02" in out


def test_show_unknown_model_fails():
    result = CliRunner().invoke(pricing, ["show", "no-such-model-anywhere"])
    assert result.exit_code == 1
    assert "unknown model" in result.output


def test_show_unknown_model_is_an_error_on_stderr_with_a_next_step():
    # was printed to stdout as "... (provider None): no price", with nothing to try
    result = CliRunner().invoke(pricing, ["show", "no-such-model-anywhere"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("error: unknown model 'no-such-model-anywhere': no price.")
    assert "None" not in result.stderr and "spanwise pricing check" in result.stderr


def test_show_explains_per_request_prices_only_when_there_are_some(tmp_path):
    # "request: USD per request" was printed under every table, request price or not;
    # a model of an override file without provider showed "provider None"
    out = CliRunner().invoke(pricing, ["show", "gpt-4o-mini", "--provider", "openai"]).output
    assert "$0.15" in out and "per request" not in out
    path = tmp_path / "p.yaml"
    path.write_text(
        "models:\n  - {id: my-api, prices: [{valid_from: 2024-01-01, input: 1, request: 0.01}]}\n"
    )
    out = CliRunner().invoke(pricing, ["show", "my-api", "--prices", str(path)]).output
    assert "request (USD per call) │ $0.01" in out and "provider any," in out


def test_show_with_override_file(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "models:\n  - {id: my-ft, prices: [{valid_from: 2024-01-01, input: 9, output: 9}]}\n"
    )
    result = CliRunner().invoke(pricing, ["show", "my-ft", "--prices", str(path)])
    assert result.exit_code == 0, result.output
    assert "from override" in result.output and "p.yaml@2024-01-01" in result.output


def test_check_valid_and_invalid(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(
        "models:\n"
        "  - {provider: azure, id: prod-chat, same_as: gpt-4o}\n"
        "  - {id: gpt-4o-mini, prices: [{valid_from: 2024-01-01, input: 0.1, output: 0.5}]}\n"
    )
    result = CliRunner().invoke(pricing, ["check", str(good)])
    assert result.exit_code == 0, result.output
    assert "priced as openai/gpt-4o" in result.output
    assert "overrides built-in openai/gpt-4o-mini" in result.output

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "models:\n  - id: x\n    prices:\n      - {valid_from: 2024-01-01, input: abc}\n"
    )
    result = CliRunner().invoke(pricing, ["check", str(bad)])
    assert result.exit_code == 1
    assert "line 4: models[0].prices[0].input: must be a decimal number, got 'abc'" in result.output

    dangling = tmp_path / "dangling.yaml"
    dangling.write_text("models:\n  - {provider: azure, id: prod, same_as: not-a-real-model}\n")
    result = CliRunner().invoke(pricing, ["check", str(dangling)])
    assert result.exit_code == 1
    assert "same_as 'not-a-real-model' matches no built-in model" in result.output
