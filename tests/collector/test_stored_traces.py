"""`StoredTraces`: the embedded collector's in-memory answer to "may this trace be stored?".

A wrong "no" would price a call twice (the count-once lookup is skipped), so every
test here checks that the answer never misses a stored trace: after inserts, after a
restart (load from the store), and after old generations are dropped."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from spanwise_collector.costs import PricingProcessor
from spanwise_collector.pipeline.pipeline import Pipeline
from spanwise_collector.pipeline.stored_traces import StoredTraces
from spanwise_pricing import PriceBook

from tests.pricing_collector.spans import llm, request, span
from tests.support.embedded import embedded_store

HOUR = 3600 * 10**9


def _table(trace_ids: list[str], ts_ns: int) -> pa.Table:
    return pa.table(
        {
            "TraceId": pa.array(trace_ids, pa.string()),
            "Timestamp": pa.array([ts_ns] * len(trace_ids), pa.timestamp("ns")),
        }
    )


def test_nothing_is_answered_from_memory_before_the_load():
    stored = StoredTraces(capacity=100)
    stored.add(_table(["a" * 32], time.time_ns()))
    ids = {"a" * 32, "b" * 32}
    assert stored.maybe_stored(ids, time.time_ns()) == ids


@settings(max_examples=50, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.text("0123456789abcdef", min_size=32, max_size=32), min_size=1, max_size=40),
        min_size=1,
        max_size=30,
    )
)
def test_every_added_trace_is_reported(batches):
    now = time.time_ns()
    stored = StoredTraces(capacity=50, generations=3)
    stored._cover_from(now - HOUR)
    newest: dict[str, int] = {}  # trace -> its newest stored span start
    for i, ids in enumerate(batches):
        stored.add(_table(ids, now + i))
        newest.update(dict.fromkeys(ids, now + i))
        added = set(newest)
        start = stored.coverage_start
        # Every trace with a span stored in the covered window is reported (false
        # positives allowed); traces only in dropped generations have none there.
        in_window = {t for t, ts in newest.items() if ts >= start}
        assert in_window <= stored.maybe_stored(added, start)
        # Before the coverage start: the store must be asked about every trace.
        assert stored.maybe_stored(added, start - 1) == added


def test_dropping_a_generation_moves_the_coverage_past_its_spans():
    now = time.time_ns()
    stored = StoredTraces(capacity=2, generations=2)
    stored._cover_from(now - HOUR)
    stored.add(_table(["1" * 32, "2" * 32], now + 5 * HOUR))  # a client clock far ahead
    stored.add(_table(["3" * 32, "4" * 32], now))
    assert stored.coverage_start == now - HOUR  # nothing dropped yet
    stored.add(_table(["5" * 32], now))  # the first generation is dropped
    assert stored.coverage_start == now + 5 * HOUR + 1
    assert stored.maybe_stored({"1" * 32}, now) == {"1" * 32}  # asked of the store again


def _status(store, trace_id: str, name: str) -> tuple:
    rows = store.query(
        "SELECT Cost, CostStatus FROM otel_traces WHERE TraceId = {t:String} AND SpanName = {n:String}",
        {"t": trace_id, "n": name},
    )
    assert len(rows) == 1
    return rows[0]


def _pipeline(store, tmp_path, stored: StoredTraces) -> Pipeline:
    pricing = PricingProcessor(PriceBook.load(), store, stored_traces=stored)
    return Pipeline(store, processors=[pricing], spool_dir=tmp_path / "spool", stored_traces=stored)


def test_a_restarted_collector_knows_the_traces_stored_before(embedded_chdb_path, tmp_path):
    store = embedded_store(embedded_chdb_path, "stored_traces")
    now = datetime.now(UTC)
    tid, parent_id, wrapper_id = os.urandom(16), os.urandom(8), os.urandom(8)
    parent = span(
        tid, "ChatOpenAI", llm("gpt-4o-mini", "openai", 1_000, 200), span_id=parent_id, at=now
    )
    wrapper = span(tid, "wrapper", {}, span_id=wrapper_id, parent=parent_id, at=now)
    child = span(tid, "openai.chat", llm("gpt-4o-mini", "openai", 1_000, 200), parent=wrapper_id,
                 at=now)  # fmt: skip

    first = _pipeline(store, tmp_path, StoredTraces())
    first.consume(request([parent, wrapper]))
    first.close()

    # The restart: a new process state, its filters loaded from the store.
    stored = StoredTraces()
    assert stored.load(store)
    assert stored.coverage_start is not None
    assert stored.maybe_stored({tid.hex()}, time.time_ns() - HOUR) == {tid.hex()}
    second = _pipeline(store, tmp_path, stored)
    second.consume(request([child]))
    second.close()

    cost, status = _status(store, tid.hex(), "ChatOpenAI")
    assert status == "ok" and cost is not None
    assert _status(store, tid.hex(), "openai.chat") == (None, "counted_in_parent")


def test_the_load_pages_through_every_recent_trace(embedded_chdb_path, tmp_path, monkeypatch):
    from spanwise_collector.pipeline import stored_traces

    store = embedded_store(embedded_chdb_path, "stored_pages")
    now = datetime.now(UTC)
    tids = [os.urandom(16) for _ in range(5)]
    first = _pipeline(store, tmp_path, StoredTraces())
    first.consume(request([span(t, "agent", {}, at=now) for t in tids]))
    first.close()

    monkeypatch.setattr(stored_traces, "_LOAD_PAGE_ROWS", 2)  # three pages
    stored = StoredTraces()
    assert stored.load(store)
    hexes = {t.hex() for t in tids}
    assert stored.maybe_stored(hexes, time.time_ns() - HOUR) == hexes

    too_small = StoredTraces(capacity=2, generations=2)  # holds 2 loaded traces at most
    assert not too_small.load(store)
    assert too_small.coverage_start is None  # so every lookup still asks the store
