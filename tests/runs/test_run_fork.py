"""After os.fork() (gunicorn, multiprocessing) the child delivers its own run events."""

from __future__ import annotations

import os

import spanwise


def test_forked_child_sends_its_own_run_events(sdk, client):
    # The parent's sender thread and gRPC channel are live before the fork.
    with spanwise.start_run(run_name="parent-before-fork", experiment_name="fork-test") as run:
        spanwise.log_metric("m", 1.0)
        parent_run = run.info.run_id
    assert spanwise.flush(15)

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no pytest machinery from here on, only os._exit
        code = 1
        try:
            os.close(read_fd)
            with spanwise.start_run(run_name="child-after-fork", experiment_name="fork-test") as r:
                spanwise.log_param("who", "child")
                spanwise.log_metric("m", 2.0, step=3)
                child_run = r.info.run_id
            ok = spanwise.flush(15)
            os.write(write_fd, f"{child_run} {ok}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, report
    child_run, ok = report.split()
    assert ok == "True", report
    child = client.get_run(child_run)
    assert child is not None and child.info.status == "FINISHED"
    assert child.data.params == {"who": "child"} and child.data.metrics["m"] == 2.0

    # The parent keeps sending too.
    with spanwise.start_run(run_name="parent-after-fork", experiment_name="fork-test") as run:
        spanwise.log_metric("m", 3.0)
        after = run.info.run_id
    assert spanwise.flush(15)
    assert client.get_run(after).data.metrics["m"] == 3.0
    assert client.get_run(parent_run).data.metrics["m"] == 1.0
