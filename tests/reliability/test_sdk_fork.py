"""After os.fork() the child exports its own spans (gunicorn / multiprocessing)."""

from __future__ import annotations

import multiprocessing

import pytest
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


def _traced_child(results, endpoint: str) -> None:
    """A multiprocessing child's work, with no flush (as in user code)."""
    spanwise.configure(endpoint=endpoint, project="tests")  # forkserver: a fresh process
    with spanwise.start_span("mp-child") as span:
        trace_id = span.trace_id
    spanwise.set_experiment("mp-children")
    with spanwise.start_run(run_name="mp-child") as run:
        spanwise.log_metric("m", 1.0)
    results.put((trace_id, run.info.run_id))


@pytest.mark.parametrize("method", ["fork", "forkserver"])  # Linux's defaults: <3.14, 3.14
def test_multiprocessing_children_deliver_their_spans_and_runs_at_exit(
    sdk, client, collector, method
):
    """multiprocessing's forked children end with os._exit(), which skips atexit: their
    spans and run events were lost unless the child flushed."""
    ctx = multiprocessing.get_context(method)
    results = ctx.Queue()
    children = [ctx.Process(target=_traced_child, args=(results, collector.grpc_endpoint))
                for _ in range(2)]  # fmt: skip
    for child in children:
        child.start()
    reports = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    for trace_id, run_id in reports:
        trace = client.get_trace(trace_id)
        assert trace is not None and trace.data.spans[0].name == "mp-child"
        run = client.get_run(run_id)
        assert run is not None and run.data.metrics == {"m": 1.0}
