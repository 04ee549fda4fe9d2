"""Run events reach the collector at process exit, without flush() or end_run()."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

from tests.support.collector import source_env

SCRIPT = textwrap.dedent(
    """
    import sys
    import spanwise

    spanwise.configure(endpoint=sys.argv[1], project="tests")
    spanwise.set_experiment(sys.argv[2])
    run = spanwise.start_run(run_name="left-open")
    for step in range(500):
        spanwise.log_metric("loss", 1.0 / (step + 1), step=step)
    spanwise.log_param("epochs", 500)
    print(run.run_id)
    # no flush(), no end_run(): atexit must deliver everything and end the run
    """
)


def test_exit_delivers_everything_and_finishes_open_runs(collector, client):
    name = f"exit-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, collector.grpc_endpoint, name],
        capture_output=True, text=True, timeout=60, env=source_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    run = client.get_run(run_id)
    assert run is not None, done.stderr
    assert run.info.status == "FINISHED" and run.info.end_time is not None
    assert run.data.params == {"epochs": "500"}
    assert run.data.metrics["loss"] == 1.0 / 500
    assert len(client.get_metric_history(run_id, "loss")) == 500
    assert client.get_experiment_by_name(name).experiment_id == run.info.experiment_id


def test_a_run_is_found_by_the_next_read_without_flush(sdk, client):
    """MLflow logs synchronously: code that searches right after ``end_run`` finds the
    run. Spanwise sends run events in the background, so a read through the Client
    first delivers what this process still has queued."""
    name = f"read-after-{uuid.uuid4().hex[:8]}"
    sdk.set_experiment(name)
    with sdk.start_run(run_name="fresh") as run:
        sdk.log_params({"max_depth": 8})
        sdk.log_metric("rmse", 27_500.0)
    found = client.search_runs(filter_string="metrics.rmse < 30000 AND params.max_depth = '8'",
                               experiment_ids=[run.info.experiment_id])  # fmt: skip
    assert [r.info.run_id for r in found] == [run.info.run_id]
    assert found[0].info.status == "FINISHED"
