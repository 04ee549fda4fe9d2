"""`--prices` overrides (global and per project) and `spanwise reprice` with correct totals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal as D

import pytest
import spanwise
from click.testing import CliRunner
from spanwise_collector.cli import cli

from tests.support.collector import CollectorProcess, source_env

from .spans import llm, send, span

PRICES_V1 = """
models:
  - provider: openai
    id: gpt-4o-mini
    prices:
      - {valid_from: 2024-01-01, version: deal-v1, input: 1, output: 2}
projects:
  research:
    - provider: openai
      id: gpt-4o-mini
      prices: [{valid_from: 2024-01-01, version: research-v1, input: 0, output: 0}]
"""
PRICES_V2 = PRICES_V1.replace("deal-v1, input: 1, output: 2", "deal-v2, input: 10, output: 20")


@pytest.fixture
def price_files(tmp_path):
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(PRICES_V1)
    v2.write_text(PRICES_V2)
    return v1, v2


def _summary(client, tid: bytes):
    (listed,) = client.search_traces(filter_string=f"trace.id = '{tid.hex()}'")
    return listed.info


def test_override_file_and_project_overrides_then_reprice(tmp_path, price_files):
    v1, v2 = price_files
    store = tmp_path / "data"
    t1, t2, t3 = os.urandom(16), os.urandom(16), os.urandom(16)
    with CollectorProcess(store, "--prices", str(v1)) as first:
        client = spanwise.Client(first.http_url)
        parent_id = os.urandom(8)
        send(first.http_url, [span(t1, "client", llm("gpt-4o-mini", "openai", 1_000_000, 100_000),
                                   parent=parent_id)])  # fmt: skip
        send(first.http_url, [
            span(t1, "framework", llm("gpt-4o-mini", "openai", 1_000_000, 100_000),
                 span_id=parent_id),
            span(t1, "other", llm("gpt-4o", "openai", 1_000_000, 0)),  # built-in $2.50
        ])  # fmt: skip
        send(first.http_url, [span(t2, "c", llm("gpt-4o-mini", "openai", 500_000, 0))])
        send(first.http_url, [span(t3, "r", llm("gpt-4o-mini", "openai", 10, 1))], "research")
        spans = {s.name: s for s in client.get_trace(t1.hex()).data.spans}
        assert spans["client"].cost == D("1.2")  # 1M x $1 + 100k x $2, from --prices
        assert spans["client"].pricing_version == "deal-v1"
        assert spans["framework"].cost_status == "counted_in_child"
        assert _summary(client, t1).cost == D("3.7")
        assert client.get_trace(t3.hex()).data.spans[0].cost == D(0)  # project: $0 on purpose
    # The price was wrong: restart with the corrected file and reprice through the API.
    with CollectorProcess(store, "--prices", str(v2)) as second:
        client = spanwise.Client(second.http_url)
        runner = CliRunner()
        result = runner.invoke(
            cli, ["reprice", "--since", "2025-01-01", "--url", second.http_url, "--json"]
        )
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["spans_repriced"] == 2  # "client" and "c"; the rest did not change
        assert report["traces"] == 2
        spans = {s.name: s for s in client.get_trace(t1.hex()).data.spans}
        assert spans["client"].cost == D(12)  # 1M x $10 + 100k x $20
        assert spans["client"].pricing_version == "deal-v2"
        assert spans["framework"].cost_status == "counted_in_child"  # structure unchanged
        assert spans["other"].cost == D("2.5")
        info = client.get_trace(t1.hex()).info
        assert info.cost == D("14.5") and info.span_count == 3
        listed = _summary(client, t1)
        assert listed.cost == D("14.5")  # the trace summary: old cost replaced, not added
        assert (listed.span_count, listed.input_tokens) == (3, 2_000_000)
        assert _summary(client, t2).cost == D(5)
        assert _summary(client, t3).cost == D(0)
        costs = client.cost_summary(group_by=["model"], since="2025-01-01")
        by_model = {r.key["model"]: r for r in costs.rows}
        assert by_model["gpt-4o-mini"].cost == D(17)  # 12 + 5 + research's 0
        assert by_model["gpt-4o-mini"].calls == 3  # the framework span counts once, with its child
        # Again: nothing changes, totals stay right.
        again = runner.invoke(cli, ["reprice", "--since", "2025-01-01", "--url", second.http_url])
        assert again.exit_code == 0 and "Repriced 0 of" in again.output
        assert _summary(client, t1).cost == D("14.5")
    # Offline: reprice one model of a store directly with a file, then read it back. In a
    # subprocess: the store opens its own chDB engine (one per process).
    result = subprocess.run(
        [sys.executable, "-m", "spanwise_collector", "reprice", "--since", "2025-01-01", "--model",
         "gpt-4o-mini", "--store", str(store), "--prices", str(v1), "--json"],
        capture_output=True, text=True, env=source_env(), timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["spans_repriced"] == 2
    with CollectorProcess(store) as third:
        client = spanwise.Client(third.http_url)
        assert _summary(client, t1).cost == D("3.7")
        assert client.get_trace(t1.hex()).info.cost == D("3.7")


def test_bad_price_file_stops_the_collector(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  - id: x\n    prices: [{valid_from: nope, input: 1}]\n")
    with pytest.raises(RuntimeError, match=r"bad\.yaml"):
        CollectorProcess(tmp_path / "data", "--prices", str(bad)).start()
    # Bad input changes nothing: the store used to be created (and migrated) first.
    assert not (tmp_path / "data").exists()


def test_reprice_of_a_mistyped_store_is_an_error_that_creates_nothing(tmp_path):
    # used to create (and migrate) an empty store there and say "Repriced 0 of 0", exit 0
    missing = tmp_path / "spanwise-dta"
    result = subprocess.run(
        [sys.executable, "-m", "spanwise_collector", "reprice", "--since", "7d",
         "--store", str(missing)],
        capture_output=True, text=True, env=source_env(), timeout=120,
    )  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"no store at {missing}" in result.stderr and result.stdout == ""
    assert not missing.exists()
    # --url was silently ignored beside --store
    both = CliRunner().invoke(
        cli, ["reprice", "--since", "7d", "--store", str(tmp_path), "--url", "http://x:1"]
    )
    assert both.exit_code == 2 and "not both" in both.output
