"""After os.fork() (gunicorn, multiprocessing) the child delivers its own run events."""

from __future__ import annotations

import spanwise

from tests.support.fork import in_forked_child


def test_forked_child_sends_its_own_run_events(sdk, client):
    # The parent's sender thread and gRPC channel are live before the fork.
    with spanwise.start_run(run_name="parent-before-fork", experiment_name="fork-test") as run:
        spanwise.log_metric("m", 1.0)
        parent_run = run.info.run_id
    assert spanwise.flush(15)

    def child() -> str:
        with spanwise.start_run(run_name="child-after-fork", experiment_name="fork-test") as r:
            spanwise.log_param("who", "child")
            spanwise.log_metric("m", 2.0, step=3)
            child_run = r.info.run_id
        return f"{child_run} {spanwise.flush(15)}"

    report = in_forked_child(child)
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


def test_points_logged_by_parent_and_child_at_the_same_step_both_survive(sdk, client):
    """The child of fork() drew the same event ids as its parent (a ``random.Random``
    instance is not reseeded at fork): two points of one metric at the same step and
    millisecond, one from each process, had the same identity and one was lost."""
    with spanwise.start_run(experiment_name="fork-test") as run:
        assert spanwise.flush(15)

        def child() -> str:
            spanwise.log_metric("acc", 2.0, step=0, timestamp=1_000, run_id=run.run_id)
            return str(spanwise.flush(15))

        assert in_forked_child(child) == "True"
        spanwise.log_metric("acc", 1.0, step=0, timestamp=1_000)
    assert spanwise.flush(15)
    history = client.get_metric_history(run.run_id, "acc")
    assert sorted(m.value for m in history) == [1.0, 2.0]
