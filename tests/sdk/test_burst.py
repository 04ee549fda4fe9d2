"""A burst of traced calls from one process reaches the collector whole.

In a tight loop the application makes spans faster than the export thread (which
shares the GIL with it) sends them; the bounded queue used to overflow and drop.
Now the producing thread waits for room while the exporter makes progress
(docs/sdk-performance.md, "Bursts"): every span arrives, nothing is counted dropped.
"""

from __future__ import annotations

import threading
import uuid

import spanwise


def _stored_spans(client: spanwise.Client, project: str) -> int:
    result = client.analytics(metrics=["count"], project=project, level="span", since="1d")
    return sum(row.count for row in result.rows)


def _burst(collector, client, calls: int, threads: int = 1, **advanced) -> tuple:
    project = f"burst-{uuid.uuid4().hex[:8]}"
    spanwise.flush(10)
    spanwise.configure(endpoint=collector.grpc_endpoint, project=project, **advanced)

    @spanwise.trace
    def child(i: int, text: str) -> dict:
        return {"i": i, "text": text}

    def loop() -> None:
        for i in range(calls):
            child(i, "what is the capital of France?")

    before = spanwise.stats()
    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert spanwise.flush(60), "the collector did not acknowledge the burst in time"
    after = spanwise.stats()
    return after.dropped - before.dropped, after.exported - before.exported, project


def test_tight_loop_burst_reaches_the_collector_without_drops(sdk, collector, client):
    # Default queue (8,192 spans): the burst is ~2.5x that, as in benchmark 1.
    dropped, exported, project = _burst(collector, client, calls=20_000)
    assert dropped == 0
    assert exported == 20_000
    assert _stored_spans(client, project) == 20_000


def test_burst_many_times_the_queue_from_several_threads_is_delivered(sdk, collector, client):
    # 12,000 spans through a 256-span queue from 3 threads waiting for room at once.
    dropped, exported, project = _burst(
        collector, client, calls=4_000, threads=3, max_queue_size=256, max_export_batch_size=64
    )
    assert dropped == 0
    assert exported == 12_000
    assert _stored_spans(client, project) == 12_000
