"""The cluster DDL, parsed and checked statement by statement (no Keeper here), and the
renderer's handling of plain-string migrations written in the template style."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from spanwise_collector.cli import cli
from spanwise_collector.store.ddl import MIGRATIONS, Migration, Table
from spanwise_collector.store.ddl_render import ClusterDDLError, SchemaTarget, render_all
from spanwise_collector.store.migrations import schema_script
from spanwise_collector.store.retention import Retention

CREATE_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS `(\w+)`\.`(\w+)` ON CLUSTER `(\w+)`")
DISTRIBUTED = re.compile(r"ENGINE = Distributed\('(\w+)', '(\w+)', '(\w+)', (.+)\)$", re.M)
REPLICATED = re.compile(r"ENGINE = Replicated(\w*MergeTree)\('([^']+)', '([^']+)'")


def schema_print(*args: str) -> str:
    result = CliRunner().invoke(cli, ["schema", "print", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def statements(script: str) -> list[str]:
    body = "\n".join(line for line in script.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip()]


def test_every_cluster_statement_is_on_cluster_and_layout_is_consistent():
    stmts = statements(schema_print("--cluster", "prod", "--database", "obs"))
    local: dict[str, str] = {}  # local table → engine family
    distributed: dict[str, tuple[str, str]] = {}  # name → (local table, sharding key)
    everywhere: set[str] = set()
    for stmt in stmts:
        if stmt.startswith("INSERT"):  # version rows; records of migrations 5 and 6
            assert re.match(
                r"INSERT INTO `obs`\.(schema_migrations|span_rollup_coverage|trace_times) ", stmt
            )
            continue
        assert " ON CLUSTER `prod`" in stmt, stmt[:80]
        table = CREATE_TABLE.match(stmt)
        if not table:
            continue
        assert table.group(1) == "obs"
        name = table.group(2)
        if dist := DISTRIBUTED.search(stmt):
            cluster, db, target, key = dist.groups()
            assert (cluster, db) == ("prod", "obs")
            assert target in local, f"{name} points at {target}, not created before it"
            distributed[name] = (target, key)
            continue
        rep = REPLICATED.search(stmt)
        assert rep, f"{name} is not Replicated*: {stmt[:200]}"
        family, path, replica = rep.groups()
        assert "{replica}" in replica
        if name.endswith("_local"):
            assert path == f"/clickhouse/tables/{{shard}}/obs/{name}" and replica == "{replica}"
            local[name] = family
        else:
            everywhere.add(name)  # one copy per node, one Keeper path for the cluster
    assert local["otel_traces_local"] == "ReplacingMergeTree"
    assert local["trace_summary_local"] == "AggregatingMergeTree"
    assert distributed["otel_traces"] == ("otel_traces_local", "cityHash64(TraceId)")
    assert distributed["trace_summary"] == ("trace_summary_local", "cityHash64(TraceId)")
    # every Distributed table (incl. later migrations) points at its own local table
    assert {target for target, _ in distributed.values()} == {f"{n}_local" for n in distributed}
    assert set(local) == {f"{n}_local" for n in distributed}
    # small tables every node reads whole, looked up by name: datasets, prompts
    assert everywhere == {"schema_migrations", "span_rollup_coverage", "datasets", "prompts",
                          "prompt_aliases"}  # fmt: skip
    # the Distributed tables carry the single-node names: readers and writers don't change
    single = {
        m.group(2)
        for s in statements(schema_print("--database", "obs"))
        if (m := re.match(r"CREATE TABLE IF NOT EXISTS `(\w+)`\.`?(\w+)`?", s))
    }
    assert single == set(distributed) | everywhere
    view = next(s for s in stmts if "MATERIALIZED VIEW" in s)
    assert "TO `obs`.`trace_summary_local`" in view and "FROM `obs`.`otel_traces_local`" in view


def test_single_node_ddl_has_no_cluster_parts():
    script = schema_print("--database", "spanwise")
    assert "ON CLUSTER" not in script and "Replicated" not in script
    assert "Distributed" not in script and "_local" not in script


def test_retention_renders_as_column_default_and_ttl():
    script = schema_print("--retention-days", "30", "--retention", "it's=7", "--cluster", "c")
    assert "RetentionDays UInt16 DEFAULT multiIf(Project = 'it\\'s', 7, 30)" in script
    # spans, trace summary, span rollup, trace times, assessments and tag edits (with their
    # trace), and the deletion journal (its own 30 days)
    assert script.count("TTL toDateTime(") == 7
    assert script.count("ttl_only_drop_parts = 1") == 3  # trace_times, assessments: rows
    bad = CliRunner().invoke(cli, ["schema", "print", "--retention", "nodays"])
    assert bad.exit_code == 2 and "PROJECT=DAYS" in bad.output
    with pytest.raises(ValueError, match=r"0\.\.36500"):
        Retention(40_000)


def test_migrations_are_idempotent_so_concurrent_starts_are_safe():
    """Guard for every migration anyone appends: each statement must be re-runnable."""
    for target in (SchemaTarget("db"), SchemaTarget("db", "c")):
        for migration, stmts in render_all(MIGRATIONS, target):
            for stmt in stmts:
                assert re.match(
                    r"(CREATE (TABLE|MATERIALIZED VIEW|DATABASE|VIEW|DICTIONARY) IF NOT EXISTS"
                    r"|ALTER TABLE .* (IF NOT EXISTS|IF EXISTS|MODIFY)"
                    # building a projection again writes the same one
                    r"|ALTER TABLE .* MATERIALIZE PROJECTION)",
                    stmt,
                    re.S,
                ), f"migration {migration.version} is not idempotent: {stmt[:100]}"
    versions = [m.version for m in MIGRATIONS]
    assert versions == sorted(set(versions))


# -- plain-string migrations (the template style other modules append) ----------
RUNS = """
CREATE TABLE IF NOT EXISTS {db}.runs (
    RunId String,
    ExperimentId String,
    Params Map(String, String),
    UpdatedAt DateTime64(3) DEFAULT now64(3),
    INDEX idx_exp ExperimentId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree(UpdatedAt)
PARTITION BY toYYYYMM(UpdatedAt)
ORDER BY (ExperimentId, RunId)
SETTINGS index_granularity = 1024
"""
RUN_COUNTS = """
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.run_counts_mv TO {db}.run_counts AS
SELECT ExperimentId, count() AS Runs FROM {db}.runs GROUP BY ExperimentId
"""
RUN_COUNTS_TABLE = (
    "CREATE TABLE IF NOT EXISTS {db}.run_counts (ExperimentId String, Runs UInt64) "
    "ENGINE = SummingMergeTree ORDER BY ExperimentId"
)
ADD_COLUMN = "ALTER TABLE {db}.runs ADD COLUMN IF NOT EXISTS Status LowCardinality(String)"
PLAIN = (
    *MIGRATIONS,
    Migration(90, "runs (plain)", (RUNS, RUN_COUNTS_TABLE, RUN_COUNTS)),
    Migration(91, "runs status", (ADD_COLUMN,)),
)


def test_plain_migrations_render_unchanged_on_a_single_node():
    rendered = dict((m.version, s) for m, s in render_all(PLAIN, SchemaTarget("spanwise")))
    assert rendered[90][0] == RUNS.format(db="`spanwise`").strip()
    assert rendered[91] == [ADD_COLUMN.format(db="`spanwise`")]


def test_plain_migrations_are_converted_for_a_cluster():
    rendered = dict((m.version, s) for m, s in render_all(PLAIN, SchemaTarget("sw", "c")))
    runs_local, runs, counts_local, counts, view = rendered[90]
    assert runs_local.startswith("CREATE TABLE IF NOT EXISTS `sw`.`runs_local` ON CLUSTER `c` (")
    assert (
        "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/sw/runs_local', "
        "'{replica}', UpdatedAt)" in runs_local
    )
    assert "INDEX idx_exp ExperimentId TYPE bloom_filter(0.01) GRANULARITY 1" in runs_local
    assert "PARTITION BY toYYYYMM(UpdatedAt)\nORDER BY (ExperimentId, RunId)" in runs_local
    assert "SETTINGS index_granularity = 1024" in runs_local
    # no TraceId: rows that replace each other (same key) share a shard
    assert runs.endswith("Distributed('c', 'sw', 'runs_local', cityHash64(ExperimentId, RunId))")
    assert "ReplicatedSummingMergeTree(" in counts_local and "Distributed(" in counts
    assert "TO `sw`.`run_counts_local`" in view and "FROM `sw`.`runs_local`" in view
    assert rendered[91] == [
        f"ALTER TABLE `sw`.`{t}` ON CLUSTER `c` ADD COLUMN IF NOT EXISTS Status LowCardinality(String)"
        for t in ("runs_local", "runs")
    ]


def test_declared_tables_choose_their_placement():
    small = Table(
        "settings", ("Key String", "Value String"), "ReplacingMergeTree", "Key", shard_by=None
    )
    script = schema_script(SchemaTarget("sw", "c"), (Migration(1, "settings", (small,)),))
    assert "CREATE TABLE IF NOT EXISTS `sw`.`settings` ON CLUSTER `c`" in script
    assert (
        "ReplicatedReplacingMergeTree('/clickhouse/tables/all/sw/settings', '{shard}-{replica}')"
        in script
    )
    assert "Distributed" not in script


def test_unconvertible_statement_names_its_migration():
    odd = Migration(
        92, "dictionary", ("CREATE DICTIONARY IF NOT EXISTS {db}.d (k UInt64) PRIMARY KEY k",)
    )
    assert render_all((*MIGRATIONS, odd), SchemaTarget("sw"))  # fine on a single node
    with pytest.raises(ClusterDDLError, match="migration 92: cannot render"):
        render_all((*MIGRATIONS, odd), SchemaTarget("sw", "c"))
    alter = Migration(93, "x", ("ALTER TABLE {db}.nope ADD COLUMN IF NOT EXISTS a UInt8",))
    with pytest.raises(ClusterDDLError, match="migration 93: ALTER TABLE nope"):
        render_all((*MIGRATIONS, alter), SchemaTarget("sw", "c"))


def test_bad_names_are_refused():
    bad = CliRunner().invoke(cli, ["schema", "print", "--cluster", "a;DROP"])
    assert bad.exit_code == 2 and "invalid" in bad.output
