"""Acknowledge = durable: every span the collector acknowledged is in the store
after ``kill -9`` at a random moment and a restart on the same directory; SIGTERM
drains in-flight batches and exits cleanly.

Cycles: SPANWISE_KILL_CYCLES (default 10)."""

from __future__ import annotations

import os
import random
import threading
import time

import grpc
import pytest
import spanwise

from tests.reliability._otlp import new_trace_id, stub, trace_request
from tests.support.collector import CollectorProcess

SPANS_PER_REQUEST = 20


class Senders:
    """Threads exporting one trace per request; remember what was acknowledged."""

    def __init__(self, target: str, threads: int = 3) -> None:
        self.target = target
        self.acked: dict[str, int] = {}
        self.refused = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.first_ack = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def __enter__(self) -> Senders:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)

    def _run(self) -> None:
        export, channel = stub(self.target)
        try:
            while not self._stop.is_set():
                trace_id = new_trace_id()
                try:
                    export.Export(trace_request(trace_id, SPANS_PER_REQUEST), timeout=10)
                except grpc.RpcError:
                    with self._lock:
                        self.refused += 1
                    if self._stop.wait(0.05):
                        return
                    continue
                with self._lock:
                    self.acked[trace_id.hex()] = SPANS_PER_REQUEST
                self.first_ack.set()
        finally:
            channel.close()


def missing_spans(url: str, acked: dict[str, int]) -> list[str]:
    """Every acknowledged trace, read back by id (a few at a time: acks are cheap now,
    so a run acknowledges hundreds of requests)."""
    from concurrent.futures import ThreadPoolExecutor

    client = spanwise.Client(url)

    def incomplete(item: tuple[str, int]) -> bool:
        trace = client.get_trace(item[0])
        return trace is None or len(trace.data.spans) != item[1]

    items = list(acked.items())
    with ThreadPoolExecutor(4) as pool:
        flags = list(pool.map(incomplete, items))
    return [trace_id for (trace_id, _), bad in zip(items, flags, strict=True) if bad]


@pytest.mark.slow
def test_acknowledged_spans_survive_kill_9(tmp_path):
    cycles = int(os.environ.get("SPANWISE_KILL_CYCLES", "10"))
    rng = random.Random(os.environ.get("SPANWISE_KILL_SEED"))
    store = tmp_path / "store"
    acked: dict[str, int] = {}
    for cycle in range(cycles):
        proc = CollectorProcess(store)
        proc.start()
        with Senders(proc.grpc_target) as senders:
            senders.first_ack.wait(30)
            time.sleep(rng.uniform(0.0, 1.0))
            proc.kill()  # SIGKILL while requests are in flight
        assert senders.acked, f"cycle {cycle}: nothing was acknowledged"
        acked.update(senders.acked)
    proc = CollectorProcess(store)
    proc.start()
    try:
        missing = missing_spans(proc.http_url, acked)
    finally:
        proc.stop()
    spans = sum(acked.values())
    print(f"\nkill -9 durability: {cycles} cycles, {len(acked)} acknowledged requests, "
          f"{spans} spans checked, {len(missing)} traces missing")  # fmt: skip
    assert missing == []


@pytest.mark.slow
def test_sigterm_drains_in_flight_batches(tmp_path):
    proc = CollectorProcess(tmp_path / "store")
    proc.start()
    with Senders(proc.grpc_target, threads=4) as senders:
        # Stop once requests are flowing (several acknowledged), while more are in flight.
        deadline = time.monotonic() + 30
        while len(senders.acked) < 8 and time.monotonic() < deadline:
            senders.first_ack.wait(0.05)
        code = proc.stop()  # SIGTERM while the senders keep sending
    assert code == 0, "".join(proc.stderr_lines)
    assert "stopped" in "".join(proc.stderr_lines)
    proc = CollectorProcess(tmp_path / "store")
    proc.start()
    try:
        assert senders.acked and missing_spans(proc.http_url, senders.acked) == []
    finally:
        proc.stop()
