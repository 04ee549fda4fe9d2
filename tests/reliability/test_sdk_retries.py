"""Retryable gRPC codes are retried with backoff, permanent ones are not, and spans
queued while the collector is away are delivered when it comes back."""

from __future__ import annotations

import grpc
import pytest
import spanwise
from google.rpc.error_details_pb2 import RetryInfo

from tests.reliability._blackhole import ScriptedCollector, free_port
from tests.support.collector import CollectorProcess


def _retry_info(seconds: float) -> tuple:
    info = RetryInfo()
    info.retry_delay.FromNanoseconds(int(seconds * 1e9))
    return (("google.rpc.retryinfo-bin", info.SerializeToString()),)


def _emit(n: int) -> list[str]:
    ids = []
    for i in range(n):
        with spanwise.start_span(f"retry-{i}") as span:
            ids.append(span.trace_id)
    return ids


RETRYABLE = {
    "UNAVAILABLE": (grpc.StatusCode.UNAVAILABLE, "collector restarting", None),
    "DEADLINE_EXCEEDED": (grpc.StatusCode.DEADLINE_EXCEEDED, "store slow", None),
    "RESOURCE_EXHAUSTED": (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "over memory limit",
        _retry_info(0.05),
    ),
}


@pytest.mark.parametrize("code", sorted(RETRYABLE))
def test_retryable_codes_are_retried_until_delivered(export_to, code):
    collector = ScriptedCollector(lambda n: RETRYABLE[code] if n == 1 else None)
    try:
        export_to(collector.endpoint, schedule_delay_ms=20)
        before = spanwise.stats()
        _emit(5)
        assert spanwise.flush(15)
        assert len(collector.delivered) == 5
        assert collector.calls == [5, 5]  # refused once, then the same batch again
        after = spanwise.stats()
        assert after.exported - before.exported == 5 and after.failed == before.failed
    finally:
        collector.stop()


@pytest.mark.parametrize(
    "code", [grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED]
)
def test_permanent_codes_are_not_retried(export_to, code, monkeypatch):
    monkeypatch.delenv("SPANWISE_RAISE_INTERNAL_ERRORS")
    collector = ScriptedCollector(lambda n: (code, "no", None))
    try:
        export_to(collector.endpoint, schedule_delay_ms=20)
        before = spanwise.stats()
        _emit(3)
        assert spanwise.flush(15)
        assert collector.calls == [3]
        assert spanwise.stats().failed - before.failed == 3
    finally:
        collector.stop()


@pytest.mark.slow
def test_spans_queued_while_collector_is_down_arrive_when_it_is_back(export_to, tmp_path):
    port = free_port()
    export_to(f"http://127.0.0.1:{port}", schedule_delay_ms=20)
    before = spanwise.stats()
    trace_ids = _emit(20)  # nothing listens yet: the exporter backs off and retries
    late = CollectorProcess(tmp_path / "late", "--grpc-port", str(port))
    late.start()
    try:
        trace_ids += _emit(5)
        assert spanwise.flush(30)
        client = spanwise.Client(late.http_url)
        missing = [t for t in trace_ids if client.get_trace(t) is None]
        assert missing == []
        after = spanwise.stats()
        assert after.exported - before.exported == 25 and after.failed == before.failed
    finally:
        late.stop()


@pytest.mark.slow
def test_run_events_wait_for_a_collector_down_longer_than_the_retry_budget(
    export_to, tmp_path, monkeypatch, caplog
):
    """An experiment, a run's start and its params are sent once: a collector that is
    unreachable for longer than a batch's retry budget must not lose them (they were
    dropped after 30 s: the run came back without params or experiment)."""
    from spanwise._internal.runs import sender

    from tests.support.waiting import wait_for

    monkeypatch.setattr(sender, "RETRY_FOR", 0.3)
    port = free_port()
    export_to(f"http://127.0.0.1:{port}")
    name = f"outage-{port}"
    spanwise.set_experiment(name)
    with spanwise.start_run(run_name="through an outage") as run:
        spanwise.log_params({"lr": 0.01, "epochs": 3})
        spanwise.log_metric("loss", 1.0, step=0)
        # Past the retry budget while nothing listens.
        assert wait_for(lambda: "run events" in caplog.text, timeout=30), caplog.text
        late = CollectorProcess(tmp_path / "late", "--grpc-port", str(port))
        late.start()
        spanwise.log_metric("loss", 0.5, step=1)
    try:
        assert spanwise.flush(60)
        client = spanwise.Client(late.http_url)
        stored = client.get_run(run.run_id)
        assert stored.info.status == "FINISHED"
        assert stored.data.params == {"lr": "0.01", "epochs": "3"}
        assert [m.value for m in client.get_metric_history(run.run_id, "loss")] == [1.0, 0.5]
        assert client.get_experiment_by_name(name).experiment_id == run.info.experiment_id
        assert "spanwise: dropped" not in caplog.text
    finally:
        late.stop()
