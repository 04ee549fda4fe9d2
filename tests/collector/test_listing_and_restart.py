"""Trace listing with pages, and persistence across collector restarts."""

from __future__ import annotations

import spanwise

from tests.support.collector import CollectorProcess


def test_pages_are_newest_first_without_repeats(sdk, client):
    ids = []
    for i in range(7):
        with spanwise.start_span(f"paged-{i}") as span:
            spanwise.update_current_trace(tags={"suite": "paging"})
            ids.append(span.trace_id)
    assert sdk.flush(30)
    seen = []
    token = None
    while True:
        page = client.search_traces(max_results=3, page_token=token, project="tests")
        seen += [t.info.trace_id for t in page]
        token = page.token
        if token is None:
            break
    ours = [t for t in seen if t in ids]
    assert ours == list(reversed(ids))  # newest first
    assert len(seen) == len(set(seen))  # no repeats across pages
    page = client.search_traces(max_results=2, project="tests", include_spans=True)
    assert all(len(t.data.spans) >= 1 for t in page)


def test_restart_on_the_same_directory_keeps_every_trace(tmp_path):
    store = tmp_path / "data"
    with CollectorProcess(store) as first:
        spanwise.configure(endpoint=first.grpc_endpoint, project="restart")
        ids = []
        for i in range(5):
            with spanwise.start_span(f"before-restart-{i}") as span:
                with spanwise.start_span("child"):
                    pass
                ids.append(span.trace_id)
        assert spanwise.flush(30)
    with CollectorProcess(store) as second:
        client = spanwise.Client(second.http_url)
        for trace_id in ids:
            trace = client.get_trace(trace_id)
            assert trace is not None and trace.info.span_count == 2
        listed = {t.info.trace_id for t in client.search_traces(max_results=100, project="restart")}
        assert set(ids) <= listed
