"""One trace by id reads only the parts inside the trace's time range (from the trace
summary); a trace that crosses midnight (two daily partitions) and arrives in two
requests still comes back whole, through the collector's HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import spanwise

from tests.search.conftest import call
from tests.search.dataset import S, build, llm, new_trace_id, send


def test_trace_across_midnight_in_two_requests_comes_back_whole(collector):
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start_ns = int((midnight - timedelta(days=1, seconds=2)).timestamp()) * 10**9
    trace_id = new_trace_id()
    root = S("overnight", "AGENT", 0, 6000, children=[
        llm("gpt-4o", "openai", 10, 5, start_ms=500, duration_ms=800),  # before midnight
        S("tool", "TOOL", 2500, 100),  # after midnight
        llm("gpt-4o-mini", "openai", 20, 7, start_ms=5000, duration_ms=900),
    ])  # fmt: skip
    spans = build(trace_id, root, start_ns)
    send(collector.grpc_target, "bounds", spans[:2])
    send(collector.grpc_target, "bounds", spans[2:])
    # A neighbour trace in the same days, so the bound is what keeps it out.
    send(collector.grpc_target, "bounds", build(new_trace_id(), S("other"), start_ns + 10**9))

    trace = spanwise.Client(collector.http_url).get_trace(trace_id)
    assert trace is not None
    days = {datetime.fromtimestamp(s.start_time_ns / 1e9, UTC).date() for s in trace.data.spans}
    assert len(days) == 2
    assert sorted(s.name for s in trace.data.spans) == sorted(["overnight", "chat", "tool", "chat"])
    assert trace.info.span_count == 4
    assert trace.info.input_tokens == 30
    status, body = call(collector.http_url, "GET", f"/api/v1/traces/{trace_id}")
    assert status == 200 and len(body["spans"]) == 4
    status, _ = call(collector.http_url, "GET", f"/api/v1/traces/{new_trace_id()}")
    assert status == 404
