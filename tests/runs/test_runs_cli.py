"""``spanwise experiments list`` and ``spanwise runs search|get`` against the real collector."""

from __future__ import annotations

import json
import uuid

import pytest
import spanwise
from click.testing import CliRunner
from spanwise_collector.cli import cli


@pytest.fixture(scope="module")
def runs(module_sdk):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    made = {}
    for depth, rmse in ((3, 31000.0), (6, 24000.5), (9, 26000.25)):
        with spanwise.start_run(experiment_name=name, run_name=f"depth-{depth}") as run:
            spanwise.log_param("max_depth", depth)
            spanwise.log_metric("rmse", rmse)
            spanwise.set_tag("team", "pricing")
        made[run.run_id] = rmse
    assert spanwise.flush(30)
    return name, made


def invoke(collector, *args: str) -> str:
    # A wide terminal so the table shows every column in full.
    result = CliRunner(env={"COLUMNS": "240"}).invoke(cli, [*args, "--url", collector.http_url])
    assert result.exit_code == 0, result.output
    return result.output


def test_runs_search_json(collector, runs):
    name, made = runs
    out = invoke(collector, "runs", "search", "--experiment", name, "--filter",
                 "metrics.rmse < 30000", "--order-by", "metrics.rmse ASC", "--json")  # fmt: skip
    payload = json.loads(out)
    expected = sorted((r for r, v in made.items() if v < 30000), key=made.get)
    assert [r["info"]["run_id"] for r in payload["runs"]] == expected
    assert payload["runs"][0]["data"]["params"] == {"max_depth": "6"}


def test_runs_search_table_and_get(collector, runs):
    name, made = runs
    out = invoke(collector, "runs", "search", "--experiment", name, "--order-by",
                 "metrics.rmse DESC")  # fmt: skip
    assert out.index("depth-3") < out.index("depth-9") < out.index("depth-6")
    assert "metrics.rmse" in out and "FINISHED" in out
    run_id = next(iter(made))
    out = invoke(collector, "runs", "get", run_id)
    assert run_id in out and "max_depth" in out and "pricing" in out
    payload = json.loads(invoke(collector, "runs", "get", run_id, "--json"))
    assert payload["info"]["run_id"] == run_id


def test_runs_get_shows_metrics_as_logged(collector, sdk):
    """It rounded to 6 significant digits: 26000.25 showed as 26000.2, 1234567 as
    1.23457e+06, and two different accuracies as the same number."""
    with spanwise.start_run(experiment_name=f"cli-exact-{uuid.uuid4().hex[:8]}") as run:
        spanwise.log_metrics({"rmse": 26000.25, "acc": 0.92345678, "rows": 1234567,
                              "tiny": 1.5e-12, "nan": float("nan")})  # fmt: skip
    assert spanwise.flush(30)
    out = invoke(collector, "runs", "get", run.run_id)
    for shown in ("26000.25", "0.92345678", "1234567 ", "1.5e-12", "nan"):
        assert shown in out, shown


def test_experiments_list(collector, runs):
    name, _ = runs
    payload = json.loads(invoke(collector, "experiments", "list", "--json"))
    assert name in {e["name"] for e in payload["experiments"]}
    assert name in invoke(collector, "experiments", "list", "--filter", f"name = '{name}'")


def test_bad_filter_is_one_red_line(collector, runs):
    result = CliRunner().invoke(
        cli, ["runs", "search", "--filter", "metrics.rmse <", "--url", collector.http_url]
    )
    assert result.exit_code == 1
    assert "HTTP 400" in result.output and "position" in result.output
    result = CliRunner().invoke(
        cli, ["runs", "search", "--experiment", "nope-" + uuid.uuid4().hex,
              "--url", collector.http_url],
    )  # fmt: skip
    assert result.exit_code == 1 and "no experiment named" in result.output
