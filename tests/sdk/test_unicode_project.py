"""A project named outside printable ASCII reaches the collector (spans and runs)."""

from __future__ import annotations

import spanwise

PROJECT = "проект ü 日本"


def test_non_ascii_project_name_exports_spans_and_run_events(sdk, client):
    """gRPC refuses plain metadata that is not printable ASCII: every export and run
    batch of such a project failed with 'Invalid metadata'."""
    spanwise.configure(project=PROJECT)
    try:
        with spanwise.start_span("unicode-project") as span:
            trace_id = span.trace_id
        spanwise.set_experiment("unicode-project")
        with spanwise.start_run() as run:
            spanwise.log_metric("m", 2.0)
        assert spanwise.flush(15)
    finally:
        spanwise.configure(project="tests")
    trace = client.get_trace(trace_id)
    assert trace is not None and trace.info.project == PROJECT
    assert client.get_run(run.info.run_id).data.metrics == {"m": 2.0}
