"""The same spans delivered twice appear once in every query and count once in
trace summaries (span counts, tokens — the columns cost is summed with)."""

from __future__ import annotations

import spanwise

from tests.reliability._otlp import new_trace_id, stub, trace_request, wrap


def _summary(client_url: str, trace_id: str):
    client = spanwise.Client(client_url)
    for trace in client.search_traces(max_results=1000, project="default"):
        if trace.info.trace_id == trace_id:
            return trace.info
    return None


def test_redelivered_spans_are_stored_and_counted_once(collector, client):
    trace_id = new_trace_id()
    request = trace_request(trace_id, n_spans=4, tokens=10)
    export, channel = stub(collector.grpc_target)
    try:
        export.Export(request, timeout=30)
        export.Export(request, timeout=30)  # a client retry after a lost reply
        # A later batch repeating one span of the first, plus a span twice in itself.
        spans = list(request.resource_spans[0].scope_spans[0].spans)
        export.Export(wrap([spans[1], spans[2], spans[2]]), timeout=30)
    finally:
        channel.close()
    tid = trace_id.hex()
    trace = client.get_trace(tid)
    assert len(trace.data.spans) == 4
    assert trace.info.span_count == 4 and trace.info.input_tokens == 30
    info = _summary(collector.http_url, tid)
    assert info is not None
    assert info.span_count == 4  # the trace summary (materialized view) counts once
    assert info.input_tokens == 30 and info.output_tokens == 30
