"""Scenarios that need their own chDB engine, run in a subprocess by the tests.

chDB allows one engine (one data directory, one config) per process, and the
cluster scenario needs an engine started with a ``remote_servers`` config, so each
scenario runs as ``python -m tests.deploy.chdb_scenarios NAME WORKDIR`` and prints
its observations as JSON on the last stdout line; the tests assert on them.
Everything here is the real code path: real chDB, real stores, real collector.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from spanwise_collector.store import ClickHouseStore, open_store
from spanwise_collector.store.clickhouse import create_database
from spanwise_collector.store.ddl import MIGRATIONS
from spanwise_collector.store.ddl_render import SchemaTarget
from spanwise_collector.store.location import StoreLocation, parse_store
from spanwise_collector.store.migrations import schema_script
from spanwise_collector.store.retention import Retention

SPAN_COLUMNS = ["Timestamp", "TraceId", "SpanId", "ParentSpanId", "SpanName", "Project"]


def _location(workdir: Path, database: str) -> StoreLocation:
    return dataclasses.replace(parse_store(str(workdir / "data")), database=database)


def _span(trace: str, project: str, when: datetime) -> list[Any]:
    return [when, trace, trace[:16], "", f"root-{project}", project]


def _race_migrate(stores: list[ClickHouseStore]) -> tuple[list[list[int]], list[str]]:
    barrier = threading.Barrier(len(stores))
    ran: list[list[int]] = []
    errors: list[str] = []

    def run(store: ClickHouseStore) -> None:
        barrier.wait()
        try:
            ran.append(store.migrate())
        except Exception as exc:  # reported, asserted empty by the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return sorted(ran), errors


def race(workdir: Path) -> dict[str, Any]:
    """Several stores (one client pool each) on one engine race ``migrate()`` on a fresh
    database, three rounds; then one span goes in and must be summarised exactly once."""
    rounds = []
    for n in range(3):
        loc = _location(workdir, f"race{n}")
        create_database(loc)
        stores = [ClickHouseStore(loc) for _ in range(4)]
        ran, errors = _race_migrate(stores)
        store = stores[0]
        store.insert_rows(
            "otel_traces", [_span("a" * 32, "p", datetime.now(timezone.utc))], SPAN_COLUMNS
        )
        rounds.append(
            {
                "errors": errors,
                "ran": ran,
                "tables": sorted(
                    r[0]
                    for r in store.query(
                        "SELECT name FROM system.tables WHERE database = {d:String}",
                        {"d": loc.database},
                    )
                ),
                "versions": sorted(
                    r[0] for r in store.query("SELECT DISTINCT Version FROM schema_migrations")
                ),
                "summary": store.query(
                    "SELECT TraceId, sum(SpanCount) FROM trace_summary GROUP BY TraceId"
                ),
                "again": store.migrate(),
            }
        )
        for s in stores:
            s.close()
    return {"rounds": rounds, "all_versions": [m.version for m in MIGRATIONS]}


def retention(workdir: Path) -> dict[str, Any]:
    """Per-project retention: old spans of a 7-day project are dropped by TTL, those of a
    30-day project and of a keep-forever project stay; then the policy changes."""
    loc = _location(workdir, "ret")
    store = open_store(loc, retention=Retention(0, {"short": 7, "month": 30}))
    old = datetime.now(timezone.utc) - timedelta(days=10)
    rows = [
        _span("1" * 32, "short", old),
        _span("2" * 32, "month", old),
        _span("3" * 32, "forever", old),
        _span("4" * 32, "short", datetime.now(timezone.utc)),
    ]
    store.insert_rows("otel_traces", rows, SPAN_COLUMNS)
    store.command("OPTIMIZE TABLE otel_traces FINAL")
    store.command("OPTIMIZE TABLE trace_summary FINAL")
    spans = store.query("SELECT TraceId, Project, RetentionDays FROM otel_traces ORDER BY TraceId")
    summary = store.query("SELECT DISTINCT TraceId, RetentionDays FROM trace_summary ORDER BY 1")
    create = store.query("SHOW CREATE TABLE otel_traces")[0][0]
    store.close()
    changed = open_store(loc, retention=Retention(14))
    default = changed.query(
        "SELECT default_expression FROM system.columns WHERE database = 'ret' "
        "AND table = 'otel_traces' AND name = 'RetentionDays'"
    )[0][0]
    kept = changed.query("SELECT TraceId, RetentionDays FROM otel_traces ORDER BY TraceId")
    unchanged = open_store(loc)  # no retention given: leaves the policy alone
    default_after = unchanged.query(
        "SELECT default_expression FROM system.columns WHERE database = 'ret' "
        "AND table = 'otel_traces' AND name = 'RetentionDays'"
    )[0][0]
    return {
        "spans": spans,
        "summary": summary,
        "create": create,
        "default_after_change": default,
        "kept_after_change": kept,
        "default_without_flags": default_after,
    }


CLUSTER_CONFIG = """<clickhouse>
  <!-- chDB serves no TCP; declaring the port makes localhost:9000 "this node", so
       Distributed tables read and write the local shard in-process. -->
  <tcp_port>9000</tcp_port>
  <remote_servers>
    <spanwise>
      <shard><replica><host>localhost</host><port>9000</port></replica></shard>
    </spanwise>
  </remote_servers>
  <macros><shard>01</shard><replica>chdb</replica></macros>
</clickhouse>
"""


def chdb_compatible(statement: str) -> str:
    """chDB has no Keeper: it refuses ON CLUSTER ("Replicated DDL queries are disabled")
    and Replicated*MergeTree ("Can't create replicated table without ZooKeeper"). Keep
    everything else of the cluster DDL: local tables, Distributed tables, views."""
    statement = statement.replace(" ON CLUSTER `spanwise`", "")
    return re.sub(r"Replicated(\w*MergeTree)\('[^']*', '[^']*'(?:, )?", r"\1(", statement)


def cluster(workdir: Path) -> dict[str, Any]:
    """The cluster DDL (minus Keeper) on a one-shard chDB cluster, then the real
    collector with ``cluster="spanwise"``: SDK → OTLP → Distributed insert → query API."""
    import chdb

    config = workdir / "cluster.xml"
    config.write_text(CLUSTER_CONFIG)
    data = workdir / "data"
    engine = chdb.connect(f"{data}?config-file={config}")  # first open fixes the config
    script = schema_script(SchemaTarget("default", "spanwise"))
    statements = [
        s.strip().rstrip(";") for s in script.split(";\n") if s.strip() and "ON CLUSTER" in s
    ]
    cursor = engine.cursor()
    for statement in statements:
        sql = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
        cursor.execute(chdb_compatible(sql))

    import spanwise
    from spanwise_collector.server import Collector, CollectorConfig

    collector = Collector(
        CollectorConfig(
            store=str(data), grpc_port=0, http_port=0, create_schema=False, cluster="spanwise"
        )
    ).start()
    try:
        spanwise.configure(endpoint=collector.grpc_endpoint, project="cluster")
        seen = {}

        @spanwise.trace(name="agent")
        def agent() -> int:
            seen["trace_id"] = spanwise.get_current_trace_id()
            return tool(1)

        @spanwise.trace(name="tool")
        def tool(x: int) -> int:
            return x + 1

        agent()
        assert spanwise.flush(30)
        client = spanwise.Client(collector.http_url)
        trace = client.get_trace(seen["trace_id"])
        listed = client.search_traces()
        store = collector.store
        return {
            "insert_settings": store.insert_settings,
            "clusters": store.query("SELECT cluster, is_local FROM system.clusters"),
            "engines": dict(
                store.query(
                    "SELECT name, engine FROM system.tables WHERE database = 'default' "
                    "ORDER BY name"
                )
            ),
            "span_names": sorted(s.name for s in trace.data.spans),
            "trace_name": trace.info.name,
            "listed": [t.info.trace_id for t in listed],
            "trace_id": seen["trace_id"],
            # distinct: a re-delivered batch (exporter retry) is a duplicate row until merged
            "local_spans": store.query("SELECT uniqExact(SpanId) FROM otel_traces_local")[0][0],
            "local_summary": store.query("SELECT groupUniqArray(TraceId) FROM trace_summary_local")[
                0
            ][0],
        }
    finally:
        spanwise.flush(10)
        collector.stop(1)


GRAFANA_MACROS = {
    "$__timeFilter(Timestamp)": "Timestamp >= now() - INTERVAL 7 DAY",
    "$__timeInterval(Timestamp)": "toStartOfInterval(Timestamp, INTERVAL 60 second)",
    "${project}": "__all__",
}


def grafana(workdir: Path) -> dict[str, Any]:
    """Every query of the provisioned dashboards, Grafana's macros expanded, on a
    database named like the deployments' (``spanwise``) with a few priced spans."""
    root = Path(__file__).resolve().parents[2]
    loc = _location(workdir, "spanwise")
    store = open_store(loc)
    now = datetime.now(timezone.utc)
    columns = [*SPAN_COLUMNS, "Model", "Cost", "InputTokens", "OutputTokens", "Duration",
               "StatusCode"]  # fmt: skip
    rows = [
        [*_span("5" * 32, "p", now), "gpt-4o", Decimal("0.25"), 100, 20, 2_000_000, "Ok"],
        [
            now,
            "5" * 32,
            "c" * 16,
            "5" * 16,
            "llm",
            "p",
            "gpt-4o",
            Decimal("0.5"),
            10,
            5,
            10,
            "Error",
        ],
    ]
    store.insert_rows("otel_traces", rows, columns)
    results = {}
    for path in sorted((root / "deploy" / "grafana" / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        queries = [(p["title"], t["rawSql"]) for p in dashboard["panels"] for t in p["targets"]]
        queries += [(v["name"], v["query"]) for v in dashboard["templating"]["list"]]
        for title, sql in queries:
            for macro, value in GRAFANA_MACROS.items():
                sql = sql.replace(macro, value)
            results[title] = store.query_dicts(sql)
    store.close()
    return results


SCENARIOS = {"race": race, "retention": retention, "cluster": cluster, "grafana": grafana}

if __name__ == "__main__":
    names, workdir = sys.argv[1].split(","), Path(sys.argv[2])
    out = {}
    for name in names:
        (workdir / name).mkdir(parents=True, exist_ok=True)
        out[name] = SCENARIOS[name](workdir / name if name == "cluster" else workdir)
    print(json.dumps(out, default=str))
