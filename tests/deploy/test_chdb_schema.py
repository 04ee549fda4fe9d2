"""The schema on the real ClickHouse engine (chDB): concurrent migrations, retention
TTL, and the cluster layout (Distributed over local tables) behind the real collector.

Each scenario runs in its own process (tests/deploy/chdb_scenarios.py): chDB allows
one engine per process, and the cluster run needs an engine with its own config.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.collector import source_env


def scenario(names: str, workdir: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.deploy.chdb_scenarios", names, str(workdir)],
        capture_output=True,
        text=True,
        timeout=240,
        env=source_env(),
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, f"scenarios {names} failed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def single_node(tmp_path_factory) -> dict:
    """The single-node scenarios share one engine process (one start-up)."""
    return scenario("race,retention,grafana", tmp_path_factory.mktemp("chdb"))


def test_racing_migrations_converge_to_one_schema(single_node):
    result = single_node["race"]
    for r in result["rounds"]:
        assert r["errors"] == []
        assert {"otel_traces", "schema_migrations", "trace_summary", "trace_summary_mv"} <= set(
            r["tables"]
        )
        assert len(r["tables"]) == len(set(r["tables"]))
        assert r["versions"] == result["all_versions"]
        # one materialized view: a span is summarised once, not once per racer
        assert r["summary"] == [["a" * 32, 1]]
        assert r["again"] == []  # a later start finds everything applied
        assert all(ran in ([], result["all_versions"]) for ran in r["ran"])


def test_retention_ttl_drops_expired_parts_per_project(single_node):
    result = single_node["retention"]
    # 10-day-old spans: the 7-day project's are gone, the 30-day and forever ones stay
    assert result["spans"] == [
        ["2" * 32, "month", 30],
        ["3" * 32, "forever", 0],
        ["4" * 32, "short", 7],
    ]
    assert result["summary"] == [["2" * 32, 30], ["3" * 32, 0], ["4" * 32, 7]]
    create = result["create"]
    assert (
        "TTL toDateTime(Timestamp) + toIntervalDay(RetentionDays) WHERE RetentionDays > 0" in create
    )
    assert "ttl_only_drop_parts = 1" in create
    assert "PARTITION BY (toDate(Timestamp), RetentionDays)" in create
    # changing the policy changes the DEFAULT only; stored spans keep their retention
    assert result["default_after_change"] == "14"
    assert [row[1] for row in result["kept_after_change"]] == [30, 0, 7]
    assert result["default_without_flags"] == "14"


def test_cluster_layout_runs_the_collector_through_distributed_tables(tmp_path):
    result = scenario("cluster", tmp_path)["cluster"]
    assert result["clusters"] == [["spanwise", 1]]
    expected = {
        "otel_traces": "Distributed",
        "otel_traces_local": "ReplacingMergeTree",  # Replicated* on a real cluster
        "schema_migrations": "ReplacingMergeTree",
        "trace_summary": "Distributed",
        "trace_summary_local": "AggregatingMergeTree",
        "trace_summary_mv": "MaterializedView",
    }
    assert {k: v for k, v in result["engines"].items() if k in expected} == expected
    # every other (later-migration) table also comes as a local + Distributed pair
    for name, engine in result["engines"].items():
        if engine == "Distributed":
            assert f"{name}_local" in result["engines"]
    assert result["insert_settings"] == {"distributed_foreground_insert": 1}
    assert result["span_names"] == ["agent", "tool"] and result["trace_name"] == "agent"
    assert result["listed"] == [result["trace_id"]]
    # rows went through the Distributed table into the shard's local tables
    assert result["local_spans"] == 2 and result["local_summary"] == [result["trace_id"]]


def test_grafana_dashboard_queries_run_on_the_spans_table(single_node):
    result = single_node["grafana"]
    cost = result["Cost per model per day (USD)"]
    assert [(r["Model"], Decimal(r["cost"])) for r in cost] == [("gpt-4o", Decimal("0.75"))]
    assert result["Tokens"][0]["input"] == 110 and result["Tokens"][0]["output"] == 25
    assert result["Trace latency percentiles (root spans)"][0]["p50"] == 2.0
    assert result["Error rate"][0]["error_rate"] == 0.5
    top = result["Most expensive traces"]
    assert [(r["trace_id"], r["name"], Decimal(r["cost"]), r["spans"]) for r in top] == [
        ("5" * 32, "root-p", Decimal("0.75"), 2)
    ]
    assert result["project"] == [{"Project": "p"}]
