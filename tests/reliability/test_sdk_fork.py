"""After os.fork() the child exports its own spans (gunicorn / multiprocessing)."""

from __future__ import annotations

import os

import spanwise


def test_forked_child_exports_its_own_spans(sdk, client):
    # The parent has a live export thread and a connected gRPC channel before forking.
    with spanwise.start_span("parent-before-fork") as span:
        parent_trace = span.trace_id
    assert spanwise.flush(10)

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no pytest machinery from here on, only os._exit
        code = 1
        try:
            os.close(read_fd)
            with spanwise.start_span("child-after-fork") as span:
                child_trace = span.trace_id
            ok = spanwise.flush(15)
            s = spanwise.stats()
            os.write(write_fd, f"{child_trace} {ok} {s.exported} {s.failed}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, report
    child_trace, ok, exported, failed = report.split()
    assert ok == "True" and exported == "1" and failed == "0", report  # counters are per process
    assert client.get_trace(child_trace).data.spans[0].name == "child-after-fork"

    # The parent keeps exporting too.
    with spanwise.start_span("parent-after-fork") as span:
        after = span.trace_id
    assert spanwise.flush(10)
    assert client.get_trace(after) is not None and client.get_trace(parent_trace) is not None
