"""Requests are acknowledged once fsynced to the spool, before the insert; reads wait for
every acknowledged span (read-your-writes); a damaged spool file is set aside, not
retried forever in front of every later batch."""

from __future__ import annotations

import pytest
from spanwise_collector.pipeline.pipeline import Pipeline

from tests.reliability._otlp import new_trace_id, trace_request
from tests.support.embedded import scratch_store
from tests.support.waiting import wait_for


@pytest.fixture
def store(embedded_chdb_path):
    with scratch_store(embedded_chdb_path, "ack_spool") as s:
        yield s


def _count(store, trace_id: bytes) -> int:
    rows = store.query(
        "SELECT count() FROM otel_traces WHERE TraceId = {t:String}", {"t": trace_id.hex()}
    )
    return rows[0][0]


def test_acknowledged_from_the_spool_then_inserted_together(store, tmp_path):
    spool = tmp_path / "spool"
    pipeline = Pipeline(store, spool_dir=spool, linger=60)  # the writer lingers for more
    try:
        first, second = new_trace_id(), new_trace_id()
        assert pipeline.consume(trace_request(first, 5)) == 5  # acknowledged
        assert pipeline.consume(trace_request(second, 3)) == 3
        assert len(list(spool.glob("*.arrow"))) == 2  # durable: one fsynced file each
        assert _count(store, first) == 0  # not inserted yet
        assert pipeline.sync(timeout=30)  # a reader: ends the linger, waits for the insert
        assert (_count(store, first), _count(store, second)) == (5, 3)
        assert pipeline.stats["inserts"] == 1  # both requests in one insert
        assert list(spool.glob("*.arrow")) == []
        assert pipeline.limiter.inflight == 0
    finally:
        pipeline.close()


def test_damaged_spool_file_is_set_aside(store, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / f"{1:020d}.arrow").write_bytes(b"not an arrow stream")
    pipeline = Pipeline(store, spool_dir=spool, retry_interval=0.05)
    try:
        trace_id = new_trace_id()
        pipeline.consume(trace_request(trace_id, 4))
        assert pipeline.sync(timeout=30)
        assert _count(store, trace_id) == 4  # not blocked behind the damaged file
        assert (spool / "rejected" / f"{1:020d}.arrow").read_bytes() == b"not an arrow stream"
        assert len(pipeline.spool) == 0
    finally:
        pipeline.close()


def test_spool_files_named_otherwise_are_replayed(store, tmp_path):
    """A set-aside batch moved back under another name (as reliability.md suggests, say
    with a note in it) stopped the collector from starting: "invalid literal for int()"."""
    import pyarrow as pa
    from spanwise_collector.pipeline.convert import convert

    spool = tmp_path / "spool"
    spool.mkdir()
    moved_back = new_trace_id()
    table = convert(trace_request(moved_back, 3)).to_arrow()
    with pa.OSFile(str(spool / "retry-after-fix.arrow"), "wb") as sink, \
            pa.ipc.new_stream(sink, table.schema) as writer:  # fmt: skip
        writer.write_table(table)
    pipeline = Pipeline(store, spool_dir=spool, retry_interval=0.05)
    try:
        fresh = new_trace_id()
        pipeline.consume(trace_request(fresh, 2))
        assert pipeline.sync(timeout=30)
        assert wait_for(lambda: len(pipeline.spool) == 0)
        assert (_count(store, moved_back), _count(store, fresh)) == (3, 2)
    finally:
        pipeline.close()
