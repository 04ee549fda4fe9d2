"""Store down → requests are acknowledged from a bounded on-disk spool and replayed
in order when the store is back; past the spool's limit, and over the in-flight
byte limit, senders get a retryable RESOURCE_EXHAUSTED with RetryInfo."""

from __future__ import annotations

import threading
from concurrent import futures

import grpc
import pytest
from spanwise_collector.pipeline.pipeline import Pipeline
from spanwise_collector.receiver import otlp_grpc

from tests.reliability._otlp import new_trace_id, stub, trace_request
from tests.support.embedded import scratch_store
from tests.support.waiting import wait_for


class Receiver:
    """The real OTLP/gRPC receiver on 127.0.0.1 in front of ``pipeline``."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        otlp_grpc.add_to_server(self.server, pipeline)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.export, self.channel = stub(f"127.0.0.1:{self.port}")

    def close(self) -> None:
        self.channel.close()
        self.server.stop(0)


def stored_traces(store) -> dict[str, int]:
    rows = store.query("SELECT TraceId, count() FROM otel_traces GROUP BY TraceId")
    return dict(rows)


@pytest.fixture
def store(embedded_chdb_path):
    with scratch_store(embedded_chdb_path, "spool") as s:
        yield s


def test_store_outage_is_spooled_acknowledged_and_replayed_in_order(store, tmp_path):
    pipeline = Pipeline(store, spool_dir=tmp_path / "spool", retry_interval=0.1)
    receiver = Receiver(pipeline)
    try:
        receiver.export.Export(trace_request(new_trace_id(), 3), timeout=30)
        assert pipeline.sync()  # in the store
        store.command("DETACH TABLE otel_traces")  # a real store failure: inserts now fail
        outage = [new_trace_id() for _ in range(5)]
        for trace_id in outage:
            receiver.export.Export(trace_request(trace_id, 4), timeout=30)  # acknowledged
        assert pipeline.sync()  # the writer tried, and left them in the spool
        assert len(pipeline.spool) == 5 and pipeline.stats["spooled"] == 20
        store.command("ATTACH TABLE otel_traces")
        assert wait_for(lambda: len(pipeline.spool) == 0)
        stored = stored_traces(store)
        assert all(stored.get(t.hex()) == 4 for t in outage)
        # Replayed oldest first: ingestion times follow the order of the requests.
        times = [
            store.query(
                "SELECT min(IngestedAt) FROM otel_traces WHERE TraceId = {t:String}",
                {"t": t.hex()},
            )[0][0]
            for t in outage
        ]
        assert times == sorted(times)
        # Summaries count each span once after the replay.
        (count,) = store.query(
            "SELECT sum(SpanCount) FROM trace_summary WHERE TraceId IN {ids:Array(String)}",
            {"ids": [t.hex() for t in outage]},
        )[0]
        assert count == 20
    finally:
        receiver.close()
        pipeline.close()


def test_full_spool_refuses_with_resource_exhausted_and_retry_info(store, tmp_path):
    pipeline = Pipeline(store, spool_dir=tmp_path / "spool", spool_max_bytes=20_000,
                        retry_interval=60)  # fmt: skip
    receiver = Receiver(pipeline)
    store.command("DETACH TABLE otel_traces")
    try:
        with pytest.raises(grpc.RpcError) as refused:
            for _ in range(100):
                receiver.export.Export(trace_request(new_trace_id(), 10), timeout=30)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "spool" in refused.value.details() and "20000" in refused.value.details()
        trailing = dict(refused.value.trailing_metadata())
        assert "google.rpc.retryinfo-bin" in trailing
        assert pipeline.spool.bytes <= 20_000
    finally:
        store.command("ATTACH TABLE otel_traces")
        receiver.close()
        pipeline.close()


def test_spool_left_by_a_crash_is_replayed_on_restart(store, tmp_path):
    first = Pipeline(store, spool_dir=tmp_path / "spool", retry_interval=60)
    store.command("DETACH TABLE otel_traces")
    trace_id = new_trace_id()
    first.consume(trace_request(trace_id, 6))
    assert first.sync() and len(first.spool) == 1
    store.command("ATTACH TABLE otel_traces")
    # The first pipeline "crashed" (never closed); a new one finds the spool.
    second = Pipeline(store, spool_dir=tmp_path / "spool", retry_interval=0.05)
    try:
        assert wait_for(lambda: len(second.spool) == 0)
        assert stored_traces(store)[trace_id.hex()] == 6
    finally:
        second.close()
        # Stop the "crashed" one's writer thread too: left running, it woke after its
        # 60 s retry interval, long after this test, to replay a file already gone.
        first.close()


class Gate:
    """A pipeline stage (the BatchProcessor seam) that holds batches until opened."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.open = threading.Event()

    def process(self, batch) -> None:
        self.entered.set()
        self.open.wait(30)


def test_in_flight_byte_limit_refuses_with_retryable_code(store, tmp_path):
    gate = Gate()
    request = trace_request(new_trace_id(), 10)
    pipeline = Pipeline(store, processors=[gate], spool_dir=tmp_path / "spool",
                        max_inflight_bytes=request.ByteSize() + 100)  # fmt: skip
    receiver = Receiver(pipeline)
    try:
        first = receiver.export.Export.future(request, timeout=30)
        assert gate.entered.wait(10)
        with pytest.raises(grpc.RpcError) as refused:
            receiver.export.Export(trace_request(new_trace_id(), 10), timeout=30)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "in flight" in refused.value.details()
        gate.open.set()
        first.result(30)
        assert pipeline.sync()  # bytes count as in flight until they are in the store
        assert pipeline.limiter.inflight == 0
        receiver.export.Export(trace_request(new_trace_id(), 10), timeout=30)  # admitted again
    finally:
        gate.open.set()
        receiver.close()
        pipeline.close()


def test_a_request_bigger_than_the_spool_limit_goes_into_an_empty_spool(store, tmp_path):
    """With the store up, a request bigger than --spool-max-bytes was refused at every
    retry, as "the store is unavailable and the spool ... is full"."""
    pipeline = Pipeline(store, spool_dir=tmp_path / "spool", spool_max_bytes=1_000)
    try:
        trace_id = new_trace_id()
        assert pipeline.consume(trace_request(trace_id, 50)) == 50
        assert pipeline.sync(timeout=30)
        assert stored_traces(store)[trace_id.hex()] == 50
    finally:
        pipeline.close()
