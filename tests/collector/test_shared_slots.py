"""Requests reach the conversion workers through shared memory; what does not fit goes
by pipe; nothing is left in /dev/shm once the collector closes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from spanwise_collector.costs import PricingProcessor
from spanwise_collector.pipeline.pipeline import Pipeline
from spanwise_collector.pipeline.shared_slots import SharedSlots, attach, write_back
from spanwise_pricing import PriceBook

from tests.bench.workloads.llm_traces import build_templates, fresh_request
from tests.support.embedded import scratch_store

_SHM = Path("/dev/shm")


def _ours() -> list[str]:
    return sorted(p.name for p in _SHM.glob(f"sw{os.getpid()}x*")) if _SHM.is_dir() else []


@pytest.fixture
def pooled(embedded_chdb_path, tmp_path):
    with scratch_store(embedded_chdb_path, "slots") as store:
        pipeline = Pipeline(
            store, processors=[PricingProcessor(PriceBook.load(), store)],
            spool_dir=tmp_path / "spool", convert_workers=1,
        )  # fmt: skip
        pipeline.convert_pool.start()
        assert pipeline.convert_pool.ready.wait(120), "the conversion worker did not start"
        try:
            yield pipeline
        finally:
            pipeline.close()


def _send_and_check(pipeline, seed: int) -> None:
    """Three requests through the pool: every span of them is stored."""
    templates = build_templates(seed, 3, 60)
    for t in templates:
        pipeline.consume_bytes(fresh_request(t), project="p")
    assert pipeline.sync(30)
    stored = pipeline.store.query("SELECT count() FROM otel_traces")[0][0]
    assert stored == sum(t.spans for t in templates)


@pytest.mark.skipif(not _SHM.is_dir(), reason="POSIX shared memory under /dev/shm")
def test_requests_go_through_shared_memory_and_none_is_left(pooled):
    pool = pooled.convert_pool
    _send_and_check(pooled, 3)
    assert pool.stats["converted"] == 3 and pool.stats["fallbacks"] == 0
    assert pool._slots.count >= 1 and _ours()  # the requests used a shared buffer
    pooled.close()
    assert _ours() == []


def test_a_request_too_big_for_a_buffer_goes_by_pipe(pooled):
    pool = pooled.convert_pool
    pool._slots = SharedSlots(max_slot_bytes=1024)  # every request is bigger
    _send_and_check(pooled, 5)
    assert pool.stats["converted"] == 3 and pool._slots.count == 0


def test_a_result_larger_than_its_buffer_comes_back_as_bytes():
    slots = SharedSlots()
    slot = slots.take(100)
    assert slot is not None
    try:
        mapped = attach(slot.name)  # as a worker does
        small = write_back(mapped, b"x" * 10)
        assert small == 10 and bytes(slot.buf[:10]) == b"x" * 10
        big = b"y" * (slot.size + 1)
        assert write_back(mapped, big) == big
    finally:
        slots.give(slot)
        slots.close()
    assert slot.name.lstrip("/") not in _ours()
