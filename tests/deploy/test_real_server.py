"""Against a real ClickHouse server or cluster (run when SPANWISE_TEST_CLICKHOUSE_URL is set).

    SPANWISE_TEST_CLICKHOUSE_URL=http://user:pass@host:8123/ \
    [SPANWISE_TEST_CLICKHOUSE_CLUSTER=spanwise] \
    python -m pytest tests/deploy/test_real_server.py -m clickhouse_server

Each test works in a fresh database (``spanwise_test_<random>``) and drops it after.
With SPANWISE_TEST_CLICKHOUSE_CLUSTER the collectors run with ``--cluster``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.collector import CollectorProcess

URL = os.environ.get("SPANWISE_TEST_CLICKHOUSE_URL", "")
CLUSTER = os.environ.get("SPANWISE_TEST_CLICKHOUSE_CLUSTER") or None

pytestmark = [
    pytest.mark.clickhouse_server,
    pytest.mark.skipif(
        not URL, reason="needs a ClickHouse server: set SPANWISE_TEST_CLICKHOUSE_URL"
    ),
]


@pytest.fixture
def database_url():
    """A URL naming a database that does not exist yet; dropped afterwards."""
    from spanwise_collector.store.clickhouse import _connect
    from spanwise_collector.store.location import parse_store

    name = f"spanwise_test_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(URL)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    yield url
    client = _connect(parse_store(url), database="__default__")
    on_cluster = f" ON CLUSTER `{CLUSTER}`" if CLUSTER else ""
    client.command(f"DROP DATABASE IF EXISTS `{name}`{on_cluster} SYNC")
    client.close()


def test_open_store_creates_the_database_and_racing_migrations_converge(database_url):
    from spanwise_collector.store import open_store
    from spanwise_collector.store.ddl import MIGRATIONS
    from spanwise_collector.store.location import parse_store

    loc = parse_store(database_url)
    barrier = threading.Barrier(4)

    def start():
        barrier.wait()
        return open_store(loc, cluster=CLUSTER)

    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: start(), range(4)))
    store = stores[0]
    tables = {
        r[0]
        for r in store.query("SELECT name FROM system.tables WHERE database = currentDatabase()")
    }
    assert {"otel_traces", "trace_summary", "trace_summary_mv", "schema_migrations"} <= tables
    if CLUSTER:
        assert {"otel_traces_local", "trace_summary_local"} <= tables
    versions = sorted(r[0] for r in store.query("SELECT DISTINCT Version FROM schema_migrations"))
    assert versions == [m.version for m in MIGRATIONS]
    assert store.migrate() == []
    for s in stores:
        s.close()


def otlp_json(trace_id: str, project: str) -> bytes:
    now = time.time_ns()
    span = {
        "traceId": trace_id, "spanId": trace_id[:16], "name": "root", "kind": 1,
        "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 1_000_000),
    }  # fmt: skip
    resource = {"attributes": [{"key": "spanwise.project", "value": {"stringValue": project}}]}
    body = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span]}]}]}
    return json.dumps(body).encode()


def test_two_collectors_start_at_once_and_serve_each_others_spans(database_url, tmp_path):
    args = ["--cluster", CLUSTER] if CLUSTER else []
    # One spool each: on one machine they would share the default ./spanwise-spool/<store>,
    # which the second collector refuses (pipeline/spool_lock.py).
    collectors = [CollectorProcess(database_url, *args, "--retention-days", "7",
                                   "--spool-dir", str(tmp_path / f"spool-{i}"))
                  for i in range(2)]  # fmt: skip
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: c.start(), collectors))
    try:
        trace_id = uuid.uuid4().hex
        request = urllib.request.Request(
            f"{collectors[0].http_url}/v1/traces",
            data=otlp_json(trace_id, "real-server"),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.status == 200
        # written through one collector, read through the other
        with urllib.request.urlopen(
            f"{collectors[1].http_url}/api/v1/traces/{trace_id}", timeout=30
        ) as resp:
            trace = json.load(resp)
        assert [s["name"] for s in trace["spans"]] == ["root"]
        # a tag set through one collector (an INSERT … SELECT into the Distributed summary)
        # is searchable through the other
        import spanwise

        first, second = (spanwise.Client(c.http_url) for c in collectors)
        first.set_trace_tag(trace_id, "reviewed", "yes")
        assert second.get_trace(trace_id).info.tags["reviewed"] == "yes"
        hits = second.search_traces(
            filter_string=f"trace.id = '{trace_id}' AND tags.reviewed = 'yes'"
        )
        assert [t.info.trace_id for t in hits] == [trace_id]
        # deleted through one collector (on a cluster: DELETE … ON CLUSTER on every
        # node's local tables, values inline), gone through the other
        delete = urllib.request.Request(
            f"{collectors[0].http_url}/api/v1/traces/{trace_id}", method="DELETE"
        )
        with urllib.request.urlopen(delete, timeout=60) as resp:
            assert resp.status == 204
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(f"{collectors[1].http_url}/api/v1/traces/{trace_id}", timeout=30)
        assert gone.value.code == 404
        # datasets and prompts: written through one collector, read through the other
        name = f"real-{uuid.uuid4().hex[:8]}"
        first.create_dataset(name)
        first.merge_records(name, [{"inputs": {"q": 1}, "expectations": {"a": 2}}])
        assert [dict(r.expectations) for r in second.get_dataset_records(name)] == [{"a": 2}]
        assert second.delete_dataset(name) and first.get_dataset(name) is None
        first.register_prompt(name, "Hi {{who}}", aliases=["production"])
        assert second.get_prompt(name, alias="production").format(who="you") == "Hi you"
    finally:
        for c in collectors:
            c.stop()
