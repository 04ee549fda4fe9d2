"""Deleting traces keeps every total exact: after deletions by id and by filter, after a
reprice, after a deletion that failed half-way and was retried or finished at start-up,
and after the deleted spans were delivered again, span analytics and costs from the
hourly rollup still equal the scan of the spans that are left (the rollup's own test,
tests/search/test_rollup.py, drives the comparison). Real ingest path into the test
process's chDB."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from spanwise_collector.costs import PricingProcessor
from spanwise_collector.costs.reprice import reprice
from spanwise_collector.deletion import delete_matching, delete_traces, finish_pending, purge
from spanwise_collector.pipeline.pipeline import Pipeline
from spanwise_collector.query import traces as q
from spanwise_collector.query.errors import QueryError
from spanwise_collector.search import search_traces
from spanwise_collector.search.analytics import analytics
from spanwise_collector.store import StoreError
from spanwise_collector.store.clickhouse import inline_parameters

from tests.search.test_rollup import _assert_same, _batches, _prices
from tests.support.embedded import embedded_store


@pytest.fixture
def store(embedded_chdb_path):
    return embedded_store(embedded_chdb_path, "deletion")


def _ids(store, project: str) -> set[str]:
    page = search_traces(store, project=project, max_results=1000, fields=["trace_id"])
    return {t["info"]["trace_id"] for t in page["traces"]}


def _summary_rows(store, ids) -> int:
    return store.query(
        "SELECT count() FROM trace_summary WHERE TraceId IN {ids:Array(String)}", {"ids": list(ids)}
    )[0][0]


_MASKED = (  # active parts of the trace tables that still hold deleted rows
    "SELECT count() FROM system.parts WHERE active AND has_lightweight_delete"
    " AND database = currentDatabase()"
)


def _same_totals(store, end: datetime) -> None:
    """The rollup equals the scan over whole hours (a cheaper check than _assert_same)."""
    hour = end.replace(minute=0, second=0)
    kw = dict(group_by=["day", "model"], metrics=["count", "cost", "input_tokens"],
              since=(hour - timedelta(days=10)).isoformat(), until=hour.isoformat(),
              project="p1", limit=10_000)  # fmt: skip
    assert analytics(store, **kw) == analytics(store, use_rollup=False, **kw)


def _fail_on(store, monkeypatch, table: str) -> None:
    """The store refuses the DELETE of ``table`` once (a store outage mid-deletion)."""
    real = store.delete_rows

    def delete_rows(name, where, parameters):
        if name == table:
            monkeypatch.setattr(store, "delete_rows", real)
            raise StoreError(f"injected failure deleting from {name}")
        real(name, where, parameters)

    monkeypatch.setattr(store, "delete_rows", delete_rows)


def test_totals_stay_exact_through_deletions(store, tmp_path, monkeypatch):
    rng = random.Random(11)
    end = datetime.now(UTC).replace(microsecond=0)
    end_ns = int(end.timestamp()) * 10**9
    pipeline = Pipeline(store, [PricingProcessor(_prices(tmp_path, 1, 2), store)],
                        spool_dir=tmp_path / "spool", linger=0)  # fmt: skip
    try:
        requests = _batches(rng, end_ns, 60)
        for request in requests:
            pipeline.consume(request, "p1")
        pipeline.consume(_batches(rng, end_ns, 10)[0], "p2")
        assert pipeline.sync()
        reprice(store, _prices(tmp_path, 5, 7), end - timedelta(days=10))
        ids = sorted(_ids(store, "p1"))
        p2 = _ids(store, "p2")
        assert len(ids) == 60
        spans_before = analytics(store, metrics=["count"], project="p1")["rows"][0]["count"]

        # By id: 10 traces; an unknown id and one of p2 with project p1 are left out.
        chosen = rng.sample(ids, 10)
        result = delete_traces(store, [*chosen, "0" * 32, next(iter(p2))], project="p1")
        assert sorted(result.trace_ids) == sorted(chosen)
        assert result.spans > 10
        assert _ids(store, "p2") == p2
        left = set(ids) - set(chosen)
        assert _ids(store, "p1") == left
        assert q.get_trace(store, chosen[0]) is None
        assert _summary_rows(store, chosen) == 0
        count = analytics(store, metrics=["count"], project="p1")["rows"][0]["count"]
        assert count == spans_before - result.spans
        _assert_same(store, rng, end, "p1")

        # Again: nothing left to delete, nothing retracted twice.
        assert delete_traces(store, chosen).trace_ids == ()

        # By filter: every trace with a 'lookup' tool call, at most 5 per call.
        filt = "span.name = 'lookup'"
        erroring = {t["info"]["trace_id"] for t in search_traces(
            store, filter=filt, project="p1", max_results=1000)["traces"]}  # fmt: skip
        assert len(erroring) > 5
        first = delete_matching(store, filter=filt, project="p1", max_traces=5)
        assert first["deleted_traces"] == 5 and first["more"] is True
        rest = delete_matching(store, filter=filt, project="p1")
        assert rest["more"] is False
        assert set(first["trace_ids"]) | set(rest["trace_ids"]) == erroring
        assert _ids(store, "p1") == left - erroring
        _same_totals(store, end)

        # The store fails after the journal, before the spans went: the retry neither
        # retracts them twice nor leaves them.
        victims = sorted(_ids(store, "p1"))[:4]
        _fail_on(store, monkeypatch, "otel_traces")
        with pytest.raises(StoreError):
            delete_traces(store, victims[:2])
        assert sorted(delete_traces(store, victims[:2]).trace_ids) == victims[:2]
        _assert_same(store, rng, end, "p1")

        # The same failure, then the collector restarts instead: start-up finishes it.
        _fail_on(store, monkeypatch, "otel_traces")
        with pytest.raises(StoreError):
            delete_traces(store, victims[2:])
        assert finish_pending(store) == 2
        assert finish_pending(store) == 0
        assert not _ids(store, "p1") & set(victims)
        _same_totals(store, end)

        # The deleted spans arrive again (a client retrying an old batch): stored and
        # counted again, and a second deletion retracts them again.
        pipeline.consume(requests[0], "p1")
        assert pipeline.sync()
        back = _ids(store, "p1") & set(ids) - (left - erroring - set(victims))
        assert back  # some of requests[0]'s traces had been deleted
        assert set(delete_traces(store, sorted(back)).trace_ids) == back
        _assert_same(store, rng, end, "p1")
        _assert_same(store, rng, end, "")

        # Purged: the deleted rows leave the parts (not only hidden), totals unchanged.
        hidden = "SELECT count() FROM otel_traces SETTINGS apply_deleted_mask = 0"
        assert store.query(hidden)[0][0] > store.query("SELECT count() FROM otel_traces")[0][0]
        purge(store)
        deadline = time.monotonic() + 60
        while store.query(_MASKED)[0][0] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert store.query(_MASKED)[0][0] == 0
        assert store.query(hidden) == store.query("SELECT count() FROM otel_traces")
        _same_totals(store, end)
    finally:
        pipeline.close()


def test_bad_requests_delete_nothing(store, tmp_path):
    rng = random.Random(3)
    end_ns = int(datetime.now(UTC).timestamp()) * 10**9
    pipeline = Pipeline(store, [], spool_dir=tmp_path / "spool", linger=0)
    try:
        pipeline.consume(_batches(rng, end_ns, 10)[0], "p1")
        assert pipeline.sync()
    finally:
        pipeline.close()
    ids = _ids(store, "p1")
    bad = [
        lambda: delete_traces(store, [next(iter(ids)), "not-a-trace-id"]),
        lambda: delete_traces(store, ["0" * 32] * 1001),
        lambda: delete_matching(store, project="p1"),  # no filter, no window: refused
        lambda: delete_matching(store, filter="trace.nope = 1", project="p1"),
        lambda: delete_matching(store, until="not a time", project="p1"),
        lambda: delete_matching(store, until="1d", project="p1", max_traces=0),
    ]
    for call in bad:
        with pytest.raises(ValueError):  # QueryError / FilterError: HTTP 400
            call()
        assert _ids(store, "p1") == ids
    assert issubclass(QueryError, ValueError)

    # On a cluster the DELETEs carry their values inline (the DDL queue drops parameters):
    # the same rows match, and a quote in a value stays a value.
    where = "TraceId IN {ids:Array(String)} AND IngestedAt < fromUnixTimestamp64Milli({t0:Int64})"
    params = {"ids": [*sorted(ids)[:3], "x') OR ('1' = '1"], "t0": 2**42}
    inline = inline_parameters(where, params)
    assert "{" not in inline
    count = "SELECT count() FROM otel_traces WHERE "
    assert store.query(count + inline) == store.query(count + where, params)
    assert 0 < store.query(count + inline)[0][0] < store.query(count + "1")[0][0]
