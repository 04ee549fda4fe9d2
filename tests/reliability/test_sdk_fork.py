"""After os.fork() the child exports its own spans (gunicorn / multiprocessing)."""

from __future__ import annotations

import spanwise

from tests.support.fork import in_forked_child


def test_forked_child_exports_its_own_spans(sdk, client):
    # The parent has a live export thread and a connected gRPC channel before forking.
    with spanwise.start_span("parent-before-fork") as span:
        parent_trace = span.trace_id
    assert spanwise.flush(10)

    def child() -> str:
        with spanwise.start_span("child-after-fork") as span:
            child_trace = span.trace_id
        ok = spanwise.flush(15)
        s = spanwise.stats()
        return f"{child_trace} {ok} {s.exported} {s.failed}"

    report = in_forked_child(child)
    child_trace, ok, exported, failed = report.split()
    assert ok == "True" and exported == "1" and failed == "0", report  # counters are per process
    assert client.get_trace(child_trace).data.spans[0].name == "child-after-fork"

    # The parent keeps exporting too.
    with spanwise.start_span("parent-after-fork") as span:
        after = span.trace_id
    assert spanwise.flush(10)
    assert client.get_trace(after) is not None and client.get_trace(parent_trace) is not None
