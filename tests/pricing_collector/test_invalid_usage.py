"""A call reporting counts no call can have (a counter bug) is flagged invalid_usage and
kept out of every token total; its raw counts stay readable in its attributes."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest

from tests.reliability._otlp import stub

from .spans import llm, request, send, span

DAY = datetime(2025, 4, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("transport", ["http", "grpc"])  # gRPC: decoded in a worker process
def test_absurd_counts_stay_out_of_token_totals(collector, client, transport):
    project = f"invalid-{uuid.uuid4().hex[:8]}"
    tid = os.urandom(16)
    spans = [
        span(tid, "ok", llm("gpt-4o-mini", "openai", 1_000, 200), at=DAY),
        span(tid, "broken", llm("gpt-4o-mini", "openai", 50_000_000_000, 7), at=DAY),
    ]
    if transport == "http":
        send(collector.http_url, spans, project=project)
    else:
        service, channel = stub(collector.grpc_target)
        service.Export(request(spans, project), timeout=30)
        channel.close()

    trace = client.get_trace(tid.hex())
    spans = {s.name: s for s in trace.data.spans}
    broken = spans["broken"]
    assert (broken.cost, broken.cost_status) == (None, "invalid_usage")
    assert not broken.input_tokens and not broken.output_tokens
    assert broken.attributes["gen_ai.usage.input_tokens"] == "50000000000"  # kept, readable
    assert (trace.info.input_tokens, trace.info.output_tokens) == (1_000, 200)
    listed = client.search_traces(f"trace.id = '{tid.hex()}'", project=project, since=DAY)
    assert listed[0].info.input_tokens == 1_000
    total = client.cost_summary(since="2025-04-01", until="2025-04-02", project=project).total
    assert (total.input_tokens, total.output_tokens) == (1_000, 200)
