"""The export thread costs nothing while the application makes no spans, and a span made
after a quiet spell still reaches the collector on its own (no flush); the standard
``OTEL_BSP_*`` variables tune the export queue."""

from __future__ import annotations

import time
import uuid

import pytest
import spanwise
from spanwise._internal import provider
from spanwise._internal.config import from_environment

from tests.support.waiting import wait_for


def _trace_count(client: spanwise.Client, project: str) -> int:
    return len(client.search_traces(project=project, max_results=100))


def test_idle_export_thread_sleeps_and_wakes_for_the_next_span(sdk, collector, client):
    project = f"idle-{uuid.uuid4().hex[:8]}"
    spanwise.flush(10)
    spanwise.configure(endpoint=collector.grpc_endpoint, project=project, schedule_delay_ms=20)

    @spanwise.trace
    def step(i: int) -> int:
        return i

    step(1)
    assert wait_for(lambda: _trace_count(client, project) == 1), "the first trace never arrived"
    queue = provider.STATE.processor._inner
    assert wait_for(lambda: queue._sleeping), "the export thread never went to sleep"
    turns = queue.wakeups
    time.sleep(0.5)  # not a wait for a condition: a window in which nothing may happen
    assert queue.wakeups - turns <= 1, "the export thread kept waking with nothing to send"

    step(2)  # no flush: the sleeping thread must wake for it
    # Without the wake-up in ``put`` the sleeping thread would never send it.
    assert wait_for(lambda: _trace_count(client, project) == 2), "the span after the quiet spell"


def test_otel_bsp_variables_tune_the_export_queue(monkeypatch):
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "2000")
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "4096")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "256")
    monkeypatch.setenv("OTEL_BSP_EXPORT_TIMEOUT", "3000")
    s = from_environment()
    assert (s.schedule_delay_ms, s.max_queue_size, s.max_export_batch_size) == (2000, 4096, 256)
    assert s.export_timeout_ms == 3000


@pytest.mark.parametrize("raw", ["soon", "-5", "1.5", ""])
def test_a_bad_otel_bsp_value_keeps_the_default(monkeypatch, raw):
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", raw)
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", raw)
    s = from_environment()
    assert s.schedule_delay_ms == spanwise_default("schedule_delay_ms")
    assert s.max_queue_size == spanwise_default("max_queue_size")


def spanwise_default(name: str) -> int:
    from spanwise._internal.config import Settings

    return getattr(Settings, name)
