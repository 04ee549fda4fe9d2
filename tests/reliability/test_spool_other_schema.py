"""Spool files outlive the code that wrote them. Batches from another Spanwise version's
schema are made to fit the spans table on replay (pipeline/conform.py); a batch that
cannot fit, or that fails every time for a reason other than the store, is set aside
after a bounded number of tries, and the batches behind it are stored."""

from __future__ import annotations

import logging

import pyarrow as pa
import pytest
from spanwise_collector.pipeline.convert import convert
from spanwise_collector.pipeline.pipeline import Pipeline
from spanwise_collector.pipeline.store_writer import MAX_BATCH_FAILURES

from tests.reliability._otlp import new_trace_id, trace_request
from tests.support.embedded import scratch_store, span_counts
from tests.support.waiting import wait_for


@pytest.fixture
def store(embedded_chdb_path):
    with scratch_store(embedded_chdb_path, "spoolschema") as s:
        yield s


def _batch(trace_id: bytes, spans: int = 3) -> pa.Table:
    """A batch as this version spools it."""
    return convert(trace_request(trace_id, spans)).to_arrow()


def _spool_file(spool, seq: int, table: pa.Table) -> None:
    """Leave ``table`` in the spool as a collector does (an Arrow IPC stream file)."""
    spool.mkdir(exist_ok=True)
    path = spool / f"{seq:020d}.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)


def _replace(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


def _rejected(spool) -> list[str]:
    return sorted(p.name for p in (spool / "rejected").glob("*.arrow"))


def _replayed(pipeline: Pipeline) -> bool:
    return wait_for(lambda: len(pipeline.spool) == 0, timeout=10)


def test_batch_missing_columns_is_stored_with_the_tables_defaults(store, tmp_path):
    # An older version that wrote neither run ids, trace metadata, event names nor costs.
    spool = tmp_path / "spool"
    old, current = new_trace_id(), new_trace_id()
    table = _batch(old).drop_columns(["RunId", "TraceMetadata", "Events.Name", "Cost"])
    _spool_file(spool, 1, table)
    _spool_file(spool, 2, _batch(current))
    pipeline = Pipeline(store, spool_dir=spool, retry_interval=0.05)
    try:
        assert _replayed(pipeline)
        assert span_counts(store, old, current) == [3, 3]
        rows = store.query(
            "SELECT RunId, TraceMetadata, length(Events.Timestamp) = length(Events.Name), "
            "Cost, CostRevision, IngestedAt > 0 FROM otel_traces WHERE TraceId = {t:String}",
            {"t": old.hex()},
        )
        assert rows == [("", {}, 1, None, 0, 1)] * 3
        assert pipeline.stats["rejected"] == 0
    finally:
        pipeline.close()


def test_batch_with_a_column_the_table_no_longer_has_is_stored_without_it(store, tmp_path, caplog):
    spool = tmp_path / "spool"
    first, second, current = new_trace_id(), new_trace_id(), new_trace_id()
    for seq, trace_id in enumerate((first, second), start=1):
        table = _batch(trace_id)
        _spool_file(spool, seq, table.append_column("LegacyScore", pa.array([0.5] * 3)))
    _spool_file(spool, 3, _batch(current))
    with caplog.at_level(logging.WARNING, logger="spanwise.collector"):
        pipeline = Pipeline(store, spool_dir=spool, retry_interval=0.05)
        try:
            assert _replayed(pipeline)
            assert span_counts(store, first, second, current) == [3, 3, 3]
            assert pipeline.stats["rejected"] == 0 and not (spool / "rejected").exists()
        finally:
            pipeline.close()
    dropped = [r for r in caplog.records if "LegacyScore" in r.getMessage()]
    assert len(dropped) == 1  # once per column name, not once per batch


def test_changed_types_are_cast_when_no_value_changes_else_set_aside(store, tmp_path):
    spool = tmp_path / "spool"
    widened, negative, current = new_trace_id(), new_trace_id(), new_trace_id()
    ok = _batch(widened)  # durations as signed integers, all of them fit UInt64
    ok = _replace(ok, "Duration", ok.column("Duration").cast(pa.int64()))
    micros = ok.column("Timestamp").cast(pa.timestamp("us"), safe=False)  # µs then
    ok = _replace(ok, "Timestamp", micros)
    bad = _batch(negative)  # a duration that UInt64 cannot hold: never stored wrapped
    bad = _replace(bad, "Duration", pa.array([-5, 1, 2], pa.int64()))
    _spool_file(spool, 1, ok)
    _spool_file(spool, 2, bad)
    _spool_file(spool, 3, _batch(current))
    pipeline = Pipeline(store, spool_dir=spool, retry_interval=0.05)
    try:
        assert _replayed(pipeline)
        assert span_counts(store, widened, negative, current) == [3, 0, 3]
        durations = store.query(
            "SELECT DISTINCT Duration FROM otel_traces WHERE TraceId = {t:String}",
            {"t": widened.hex()},
        )
        assert durations == [(1000,)]
        assert _rejected(spool) == [f"{2:020d}.arrow"]
        assert pipeline.stats["rejected"] == 3
    finally:
        pipeline.close()


def test_batch_without_span_ids_is_set_aside(store, tmp_path):
    spool = tmp_path / "spool"
    keyless, current = new_trace_id(), new_trace_id()
    _spool_file(spool, 1, _batch(keyless).drop_columns(["SpanId"]))
    _spool_file(spool, 2, _batch(current))
    pipeline = Pipeline(store, spool_dir=spool, retry_interval=0.05)
    try:
        assert _replayed(pipeline)
        assert span_counts(store, keyless, current) == [0, 3]
        assert _rejected(spool) == [f"{1:020d}.arrow"] and pipeline.stats["rejected"] == 3
    finally:
        pipeline.close()


def test_batch_failing_every_time_is_set_aside_and_later_ones_stored(store, tmp_path, caplog):
    # The schema is this version's, but a null trace id breaks the writer's dedup step
    # (a TypeError, not a store error): it fails on every try.
    spool = tmp_path / "spool"
    poison, behind, fresh = new_trace_id(), new_trace_id(), new_trace_id()
    table = _batch(poison)
    ids = table.column("TraceId").to_pylist()
    _spool_file(spool, 1, _replace(table, "TraceId", pa.array([None, *ids[1:]], pa.string())))
    _spool_file(spool, 2, _batch(behind))
    with caplog.at_level(logging.WARNING, logger="spanwise.collector"):
        pipeline = Pipeline(store, spool_dir=spool, retry_interval=0.05)
        try:
            pipeline.consume(trace_request(fresh, 2))  # acknowledged behind the poison
            assert _replayed(pipeline) and pipeline.sync(timeout=10)
            assert span_counts(store, poison, behind, fresh) == [0, 3, 2]
            assert _rejected(spool) == [f"{1:020d}.arrow"]
            assert pipeline.stats["rejected"] == 3
            assert pipeline.limiter.inflight == 0
        finally:
            pipeline.close()
    tries = [r for r in caplog.records if "not because of the store" in r.getMessage()]
    assert len(tries) == MAX_BATCH_FAILURES  # each failed try, the last one setting aside
    assert str(spool / "rejected") in tries[-1].getMessage()


class NullTraceIds:
    """A faulty pipeline stage (the BatchProcessor seam, as pricing uses): it blanks the
    trace id of spans named "span-1" to null, which the writer's dedup step cannot
    handle (a TypeError, not a store error): that batch fails on every try."""

    def process(self, batch) -> None:
        ids = batch.columns["TraceId"]
        for i, name in enumerate(batch.columns["SpanName"]):
            if name == "span-1":
                ids[i] = None


def test_batch_failing_on_the_write_path_is_set_aside_and_later_ones_stored(store, tmp_path):
    spool = tmp_path / "spool"
    pipeline = Pipeline(store, processors=[NullTraceIds()], spool_dir=spool,
                        retry_interval=0.05)  # fmt: skip
    before, poison, after = new_trace_id(), new_trace_id(), new_trace_id()
    try:
        pipeline.consume(trace_request(before, 1))  # one span: "span-0", unharmed
        assert pipeline.sync(timeout=10)
        pipeline.consume(trace_request(poison, 2))
        pipeline.consume(trace_request(after, 1))
        assert pipeline.sync(timeout=10)  # written: into the spool, the group failed
        assert _replayed(pipeline)  # then replayed one by one
        assert span_counts(store, before, poison, after) == [1, 0, 1]
        assert len(_rejected(spool)) == 1 and pipeline.stats["rejected"] == 2
        assert pipeline.limiter.inflight == 0
    finally:
        pipeline.close()
