"""A batch the store refuses for good (its own data) is set aside into the spool's
``rejected/`` and the batches acknowledged with and after it are stored; a batch the store
cannot take only for now (outage, merges behind) is kept and stored once it can."""

from __future__ import annotations

import logging
import os
import time

import pyarrow as pa
import pytest
from opentelemetry.proto.trace.v1 import trace_pb2
from spanwise_collector.pipeline.pipeline import Pipeline

from tests.reliability._otlp import new_trace_id, trace_request, wrap
from tests.support.embedded import scratch_store, span_counts
from tests.support.waiting import wait_for


class BreakEvents:
    """A faulty pipeline stage (the BatchProcessor seam, as pricing uses): it drops the
    event names of spans named "broken" and keeps their times, so their Events arrays
    differ in length — ClickHouse refuses that batch, every time (SIZES_OF_ARRAYS_DONT_MATCH)."""

    def process(self, batch) -> None:
        for i, name in enumerate(batch.columns["SpanName"]):
            if name == "broken":
                batch.columns["Events.Name"][i] = []


def broken_request(trace_id: bytes):
    now = time.time_ns()
    spans = [trace_pb2.Span(
        trace_id=trace_id, span_id=os.urandom(8), name=name, start_time_unix_nano=now,
        end_time_unix_nano=now + 1000,
        events=[trace_pb2.Span.Event(time_unix_nano=now + 10, name="retry")],
    ) for name in ("broken", "broken")]  # fmt: skip
    return wrap(spans)


@pytest.fixture
def store(embedded_chdb_path):
    with scratch_store(embedded_chdb_path, "refused") as s:
        yield s


def _summary_spans(store, *trace_ids: bytes) -> int:
    (count,) = store.query(
        "SELECT sum(SpanCount) FROM trace_summary WHERE TraceId IN {ids:Array(String)}",
        {"ids": [t.hex() for t in trace_ids]},
    )[0]
    return count


def _rejected_traces(spool) -> list[set[str]]:
    """The trace ids in each set-aside file (Arrow IPC streams, readable as they are)."""
    out = []
    for path in sorted((spool / "rejected").glob("*.arrow")):
        with pa.memory_map(str(path)) as source:
            out.append(set(pa.ipc.open_stream(source).read_all().column("TraceId").to_pylist()))
    return out


def test_refused_batch_in_a_group_is_set_aside_and_the_others_stored(store, tmp_path, caplog):
    spool = tmp_path / "spool"
    pipeline = Pipeline(store, processors=[BreakEvents()], spool_dir=spool, linger=60)
    before, bad, after, later = (new_trace_id() for _ in range(4))
    try:
        with caplog.at_level(logging.WARNING, logger="spanwise.collector"):
            pipeline.consume(trace_request(before, 3))  # acknowledged, and the writer
            pipeline.consume(broken_request(bad))  # lingers: the three share one insert
            pipeline.consume(trace_request(after, 4))
            assert pipeline.sync(timeout=30)  # a set-aside batch counts as written
        assert span_counts(store, before, bad, after) == [3, 0, 4]  # read-your-writes holds
        assert any("one at a time" in r.getMessage() for r in caplog.records)
        assert _summary_spans(store, before, after) == 7  # each stored span counted once
        assert _rejected_traces(spool) == [{bad.hex()}]
        assert pipeline.stats["rejected"] == 2
        assert any(str(spool / "rejected") in r.getMessage() for r in caplog.records
                   if r.levelno == logging.ERROR)  # fmt: skip
        pipeline.consume(trace_request(later, 2))  # later batches go straight in
        assert pipeline.sync(timeout=30)
        assert span_counts(store, later) == [2]
        assert list(spool.glob("*.arrow")) == [] and pipeline.limiter.inflight == 0
    finally:
        pipeline.close()


def test_refused_batch_is_kept_through_an_outage_then_set_aside(store, tmp_path):
    spool = tmp_path / "spool"
    pipeline = Pipeline(store, processors=[BreakEvents()], spool_dir=spool, retry_interval=0.05)
    before, bad, after, later = (new_trace_id() for _ in range(4))
    store.command("DETACH TABLE otel_traces")  # the store is down: every insert fails
    try:
        for request in (trace_request(before, 3), broken_request(bad), trace_request(after, 4)):
            pipeline.consume(request)
            assert pipeline.sync(timeout=30)
        # Unavailable is not refused: all three wait in the spool, none set aside.
        assert len(pipeline.spool) == 3 and not (spool / "rejected").exists()
    finally:
        store.command("ATTACH TABLE otel_traces")
    assert wait_for(lambda: len(pipeline.spool) == 0)  # replayed oldest first
    try:
        assert span_counts(store, before, bad, after) == [3, 0, 4]
        assert _rejected_traces(spool) == [{bad.hex()}]
        pipeline.consume(trace_request(later, 2))
        assert pipeline.sync(timeout=30)
        assert span_counts(store, later) == [2]
    finally:
        pipeline.close()
    # The operator's way back (docs/reliability.md): repair the file, move it back into
    # the spool, restart the collector.
    (rejected,) = (spool / "rejected").glob("*.arrow")
    with pa.memory_map(str(rejected)) as source:
        table = pa.ipc.open_stream(source).read_all()
    names = pa.array([["retry"]] * table.num_rows, table.schema.field("Events.Name").type)
    table = table.set_column(table.schema.get_field_index("Events.Name"), "Events.Name", names)
    with pa.OSFile(str(spool / rejected.name), "wb") as sink, \
            pa.ipc.new_stream(sink, table.schema) as writer:  # fmt: skip
        writer.write_table(table)
    rejected.unlink()
    restarted = Pipeline(store, spool_dir=spool, retry_interval=0.05)
    try:
        assert wait_for(lambda: len(restarted.spool) == 0)
        assert span_counts(store, bad) == [2] and _summary_spans(store, bad) == 2
    finally:
        restarted.close()


def test_too_many_parts_keeps_batches_until_merges_catch_up(store, tmp_path, caplog):
    spool = tmp_path / "spool"
    pipeline = Pipeline(store, spool_dir=spool, retry_interval=0.05)
    first, *waiting = (new_trace_id() for _ in range(4))
    try:
        pipeline.consume(trace_request(first, 2))
        assert pipeline.sync(timeout=30)
        # A real TOO_MANY_PARTS: with one part in the table, the next insert is refused.
        store.command("ALTER TABLE otel_traces MODIFY SETTING parts_to_throw_insert = 1")
        try:
            with caplog.at_level(logging.WARNING, logger="spanwise.collector"):
                for trace_id in waiting:
                    pipeline.consume(trace_request(trace_id, 3))
                    assert pipeline.sync(timeout=30)
            assert "TOO_MANY_PARTS" in caplog.text
            assert len(pipeline.spool) == 3 and span_counts(store, *waiting) == [0, 0, 0]
        finally:
            store.command("ALTER TABLE otel_traces RESET SETTING parts_to_throw_insert")
        assert wait_for(lambda: len(pipeline.spool) == 0)
        assert span_counts(store, first, *waiting) == [2, 3, 3, 3]
        assert _summary_spans(store, *waiting) == 9
        assert pipeline.stats["rejected"] == 0 and not (spool / "rejected").exists()
    finally:
        pipeline.close()


def test_batches_set_aside_across_restarts_are_all_kept(store, tmp_path):
    """A restarted collector numbered its spool from 1 again: the first batch it set aside
    replaced the one an earlier run had set aside under that name ("never deleted")."""
    spool = tmp_path / "spool"
    first_bad, second_bad = new_trace_id(), new_trace_id()
    for bad in (first_bad, second_bad):  # two runs of a collector on one spool
        pipeline = Pipeline(store, processors=[BreakEvents()], spool_dir=spool)
        try:
            pipeline.consume(broken_request(bad))
            assert pipeline.sync(timeout=30)
        finally:
            pipeline.close()
    assert _rejected_traces(spool) == [{first_bad.hex()}, {second_bad.hex()}]
