"""One trace by id reads only the parts inside the trace's time range (from the trace
summary); a trace that crosses midnight (two daily partitions) and arrives in two
requests still comes back whole, through the collector's HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import spanwise

from tests.search.conftest import call
from tests.search.dataset import S, base_ns, build, llm, new_trace_id, send


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


def test_a_store_upgraded_to_trace_times_still_finds_its_old_traces(embedded_chdb_path, tmp_path):
    """Migration 6 backfills trace_times from the summaries of the traces already stored."""
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    from opentelemetry.proto.trace.v1 import trace_pb2
    from spanwise_collector.pipeline.pipeline import Pipeline
    from spanwise_collector.query.traces import get_trace
    from spanwise_collector.store import ddl

    from tests.support.embedded import embedded_store, takes_current_spans

    store = embedded_store(embedded_chdb_path, "times", migrations=ddl.MIGRATIONS[:5])
    takes_current_spans(store)  # the spans an older collector wrote
    trace_id = new_trace_id()
    root = S("old", "AGENT", 0, 3000, children=[llm("gpt-4o", "openai", 10, 5, start_ms=100)])
    spans = build(trace_id, root, base_ns() - 3 * 86_400 * 10**9)
    request = trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[trace_pb2.ResourceSpans(scope_spans=[trace_pb2.ScopeSpans(spans=spans)])]
    )
    pipeline = Pipeline(store, [], spool_dir=tmp_path / "spool", linger=0)
    try:
        pipeline.consume(request, "p")
    finally:
        pipeline.close()

    assert store.migrate() == [m.version for m in ddl.MIGRATIONS[5:]]
    rows = store.query(
        "SELECT count() FROM trace_times WHERE TraceId = {t:String}", {"t": trace_id}
    )
    assert rows[0][0] >= 1
    trace = get_trace(store, trace_id)
    assert trace is not None and sorted(s["name"] for s in trace["spans"]) == ["chat", "old"]
