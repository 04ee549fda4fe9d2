"""A tight logging loop against a bounded run event queue: what flush() reports, and
backpressure instead of loss while the collector keeps up."""

from __future__ import annotations

import uuid

import pytest
import spanwise
from spanwise._internal.provider import STATE
from spanwise._internal.runs import sender


@pytest.fixture
def max_block_ms(sdk):
    """Set ``max_block_ms`` for one test, then put it back."""
    before = STATE.settings.max_block_ms

    def set_to(value: int) -> None:
        spanwise.configure(max_block_ms=value)

    yield set_to
    spanwise.configure(max_block_ms=before)


def test_flush_reports_events_dropped_at_a_full_queue(sdk, monkeypatch, max_block_ms):
    """flush() returned True after the queue had dropped events: "every event was
    delivered" while part of the run's history was lost."""
    max_block_ms(0)  # a full queue drops at once
    monkeypatch.setattr(sender, "MAX_QUEUE", 50)
    with spanwise.start_run(experiment_name=f"burst-{uuid.uuid4().hex[:8]}"):
        for step in range(2_000):
            spanwise.log_metric("loss", 1.0, step=step)
    assert spanwise.flush(30) is False
    assert spanwise.flush(30) is True  # nothing dropped since


def test_a_tight_loop_waits_for_room_instead_of_losing_points(sdk, client, monkeypatch,
                                                              max_block_ms):  # fmt: skip
    """200,000 log_metric calls in a loop (0.5 s) overflowed the 100,000-event queue
    while the collector was keeping up: 78,000 points of the history were dropped and
    the run's latest value was an old one. The loop now waits for room."""
    max_block_ms(30_000)  # a slow store on a loaded test machine is still progress
    monkeypatch.setattr(sender, "MAX_QUEUE", 500)  # the same overflow, 200 times smaller
    with spanwise.start_run(experiment_name=f"burst-{uuid.uuid4().hex[:8]}") as run:
        for step in range(20_000):
            spanwise.log_metric("loss", step * 0.5, step=step)
    assert spanwise.flush(60) is True
    assert client.get_run(run.run_id).data.metrics == {"loss": 19_999 * 0.5}
    history = client.get_metric_history(run.run_id, "loss")
    assert [m.step for m in history] == list(range(20_000))
