"""A batch of spans too big for one export request reaches the collector in several."""

from __future__ import annotations

import spanwise


def test_a_burst_of_calls_with_long_inputs_is_delivered(sdk, client):
    """1,024 calls with ~32,000-character inputs and outputs (a RAG step over long
    documents) make one ~65 MB batch: the collector refused it whole (32 MiB limit),
    and every one of those traces was lost."""
    document = "ab" * 15_900  # its inputs JSON just under max_value_chars (32,000)

    @spanwise.trace
    def summarize(text: str) -> str:
        return text[::-1]

    spanwise.flush(10)
    before = spanwise.stats()
    spanwise.configure(schedule_delay_ms=60_000)  # the export wakes for a full batch only
    try:
        trace_ids = []
        for _ in range(1024):
            summarize(document)
            trace_ids.append(spanwise.get_last_active_trace_id())
        assert spanwise.flush(60)
    finally:
        spanwise.configure(schedule_delay_ms=500)
    after = spanwise.stats()
    assert after.failed == before.failed
    assert after.exported - before.exported >= 1024
    for trace_id in (trace_ids[0], trace_ids[511], trace_ids[-1]):
        (span,) = client.get_trace(trace_id).data.spans
        assert span.inputs == {"text": document} and span.outputs == document[::-1]


def test_split_keeps_every_span_once_in_order_and_each_part_under_the_limit():
    from spanwise._internal.exporter import MAX_REQUEST_BYTES, split_request

    class Fake:  # what the encoder reads of a span is not needed: sizes are faked
        def __init__(self, size: int) -> None:
            self.size = size

    def encode(spans):
        return b"x" * sum(s.size for s in spans)

    spans = [Fake(n) for n in (10, 3_000_000, 2_000_000, 5, 9_000_000, 1)]
    parts = split_request(spans, encode, MAX_REQUEST_BYTES)
    assert [s for part, _ in parts for s in part] == spans
    for part, request in parts:
        assert len(request) <= MAX_REQUEST_BYTES or len(part) == 1
        assert request == encode(part)
