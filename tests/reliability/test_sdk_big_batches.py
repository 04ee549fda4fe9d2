"""A batch bigger than a request may be goes out in several requests."""

from __future__ import annotations

import spanwise


def test_batch_over_the_request_limit_is_sent_in_parts(sdk, collector, client, export_to):
    """201 spans with a 200,000-character attribute each: one 40 MB request, over the
    collector's 32 MiB, refused whole (RESOURCE_EXHAUSTED) at every attempt: all lost.
    (Spans with 32,000-character inputs and outputs do the same from 512 a batch.)"""
    export_to(collector.grpc_endpoint, schedule_delay_ms=60_000)  # one batch, at flush
    failed = spanwise.stats().failed
    with spanwise.start_span("big-batch") as root:
        for i in range(200):
            with spanwise.start_span(f"part-{i}", attributes={"blob": "x" * 200_000}):
                pass
    assert spanwise.flush(60)
    assert spanwise.stats().failed == failed
    trace = client.get_trace(root.trace_id)
    assert trace is not None and trace.info.span_count == 201
