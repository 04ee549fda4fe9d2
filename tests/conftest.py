"""Shared fixtures: one real collector (subprocess, chDB in a temp dir) per test session,
and the SDK configured to export to it."""

from __future__ import annotations

import os

import pytest

# Internal SDK errors raise under the test suite instead of being logged.
os.environ.setdefault("SPANWISE_RAISE_INTERNAL_ERRORS", "1")

from tests.support.collector import CollectorProcess


@pytest.fixture(scope="session")
def embedded_chdb_path(tmp_path_factory: pytest.TempPathFactory):
    """THE chDB directory of the pytest process: chDB runs one engine per process, bound
    to one path, so every in-process user (filters tests, stores built in tests…) shares
    it and keeps to its own table or database names."""
    return tmp_path_factory.mktemp("inprocess-chdb") / "db"


@pytest.fixture(scope="session")
def embedded_chdb(embedded_chdb_path):
    """A clickhouse-connect client on the process-wide embedded engine."""
    import clickhouse_connect

    return clickhouse_connect.get_client(dsn=f"chdb://{embedded_chdb_path}")


@pytest.fixture(scope="session")
def collector(tmp_path_factory: pytest.TempPathFactory):
    proc = CollectorProcess(tmp_path_factory.mktemp("collector") / "data")
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def sdk(collector: CollectorProcess):
    """The SDK exporting to the session collector (project ``tests``); re-applied per test
    (a no-op when unchanged) because some tests point it at their own collector."""
    import spanwise

    spanwise.configure(endpoint=collector.grpc_endpoint, project="tests")
    os.environ["SPANWISE_API_URL"] = collector.http_url
    return spanwise


@pytest.fixture
def client(sdk, collector: CollectorProcess):
    return sdk.Client(collector.http_url)


@pytest.fixture
def fetch_trace(sdk, client):
    """Flush the SDK and read one trace back through the query API."""

    def fetch(trace_id: str):
        assert sdk.flush(30), "spans were not acknowledged by the collector in time"
        trace = client.get_trace(trace_id)
        assert trace is not None, f"trace {trace_id} not found"
        return trace

    return fetch
