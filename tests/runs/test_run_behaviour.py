"""Run semantics through the real SDK and collector: status, params, NaN, nesting,
context propagation, and the run <-> trace link."""

from __future__ import annotations

import asyncio
import contextvars
import math
import threading
import uuid

import pytest
import spanwise
from spanwise import InvalidParameterError, SpanwiseError


def experiment() -> str:
    return f"behaviour-{uuid.uuid4().hex[:8]}"


def test_run_ids_are_lowercase_hex_and_context_manager_finishes(sdk, client):
    with spanwise.start_run(experiment_name=experiment(), run_name="ok") as run:
        assert spanwise.active_run().run_id == run.run_id
        assert run.info.status == "RUNNING"
    assert spanwise.active_run() is None
    assert len(run.run_id) == 32 and run.run_id == run.run_id.lower()
    int(run.run_id, 16)
    assert spanwise.flush(30)
    stored = client.get_run(run.run_id)
    assert stored.info.status == "FINISHED" and stored.info.run_name == "ok"
    assert stored.info.end_time >= stored.info.start_time


def test_failed_status_when_block_raises_and_exception_propagates(sdk, client):
    with pytest.raises(ZeroDivisionError), spanwise.start_run(experiment_name=experiment()) as run:
        spanwise.log_metric("before", 1)
        1 / 0  # noqa: B018
    assert spanwise.active_run() is None
    assert spanwise.flush(30)
    stored = client.get_run(run.run_id)
    assert stored.info.status == "FAILED" and stored.info.end_time is not None
    assert stored.data.metrics == {"before": 1.0}
    assert client.search_runs([stored.info.experiment_id], "attributes.status = 'FAILED'")[0] \
        .info.run_id == run.run_id  # fmt: skip


def test_end_run_with_status_and_explicit_start(sdk, client):
    run = spanwise.start_run(experiment_name=experiment())
    spanwise.end_run(status="KILLED")
    assert spanwise.active_run() is None
    assert spanwise.flush(30)
    assert client.get_run(run.run_id).info.status == "KILLED"
    other = spanwise.start_run(experiment_name=experiment())
    with pytest.raises(InvalidParameterError, match="status must be one of"):
        spanwise.end_run(status="DONE")
    assert spanwise.active_run().run_id == other.run_id  # still active after the bad call
    spanwise.end_run()
    assert spanwise.active_run() is None


def test_params_are_immutable(sdk, client):
    with spanwise.start_run(experiment_name=experiment()) as run:
        spanwise.log_param("lr", 0.01)
        spanwise.log_param("lr", 0.01)  # the same value again is fine
        with pytest.raises(InvalidParameterError, match="Changing param values is not allowed"):
            spanwise.log_param("lr", 0.02)
        with pytest.raises(SpanwiseError):
            spanwise.log_params({"lr": "0.5"})
        with pytest.raises(InvalidParameterError):
            spanwise.log_param("", 1)
        with pytest.raises(InvalidParameterError):
            spanwise.log_param("huge", "x" * 6001)
    assert spanwise.flush(30)
    assert client.get_run(run.run_id).data.params == {"lr": "0.01"}


def test_nan_and_infinite_metrics_round_trip(sdk, client):
    with spanwise.start_run(experiment_name=experiment()) as run:
        spanwise.log_metric("nan", float("nan"))
        spanwise.log_metric("inf", float("inf"))
        spanwise.log_metric("neg_inf", float("-inf"), step=3)
        spanwise.log_metric("big", 1e308)
        spanwise.log_metric("tiny", 5e-324)
    assert spanwise.flush(30)
    metrics = client.get_run(run.run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["inf"] == math.inf and metrics["neg_inf"] == -math.inf
    assert metrics["big"] == 1e308 and metrics["tiny"] == 5e-324
    (point,) = client.get_metric_history(run.run_id, "neg_inf")
    assert point.value == -math.inf and point.step == 3
    exp_id = run.info.experiment_id
    assert [r.info.run_id for r in client.search_runs([exp_id], "metrics.inf > 1e308")] == [
        run.run_id
    ]
    assert client.search_runs([exp_id], "metrics.nan < 0 OR metrics.nan >= 0") == []


def test_latest_metric_is_highest_step_then_timestamp(sdk, client):
    with spanwise.start_run(experiment_name=experiment()) as run:
        spanwise.log_metric("acc", 0.9, step=5, timestamp=1_000)
        spanwise.log_metric("acc", 0.1, step=1, timestamp=9_000)  # later, but an older step
        spanwise.log_metric("acc", 0.95, step=5, timestamp=2_000)
        spanwise.log_metric("acc", 0.95, step=5, timestamp=2_000)  # a duplicate point is kept
        assert run.data.metrics["acc"] == 0.95
    assert spanwise.flush(30)
    assert client.get_run(run.run_id).data.metrics["acc"] == 0.95
    history = client.get_metric_history(run.run_id, "acc")
    assert [(m.step, m.timestamp, m.value) for m in history] == [
        (1, 9_000, 0.1), (5, 1_000, 0.9), (5, 2_000, 0.95), (5, 2_000, 0.95)
    ]  # fmt: skip


def test_tags_can_be_overwritten_params_cannot(sdk, client):
    with spanwise.start_run(experiment_name=experiment(), tags={"stage": "dev"}) as run:
        spanwise.set_tag("stage", "prod")
        spanwise.set_tags({"owner": "ana", "ticket": 42})
    assert spanwise.flush(30)
    assert client.get_run(run.run_id).data.tags == {"stage": "prod", "owner": "ana", "ticket": "42"}


def test_bad_tags_at_start_leave_no_run_behind(sdk):
    with pytest.raises(InvalidParameterError):
        spanwise.start_run(experiment_name=experiment(), tags={"k": "v" * 9000})
    with pytest.raises(InvalidParameterError):
        spanwise.start_run(experiment_name=experiment(), tags={"": "v"})
    assert spanwise.active_run() is None


def test_nested_runs(sdk, client):
    with spanwise.start_run(experiment_name=experiment()) as parent:
        with pytest.raises(SpanwiseError, match="already active"):
            spanwise.start_run()
        with spanwise.start_run(nested=True) as child:
            assert spanwise.active_run().run_id == child.run_id
        assert spanwise.active_run().run_id == parent.run_id
    assert spanwise.flush(30)
    stored = client.get_run(child.run_id)
    assert stored.info.parent_run_id == parent.run_id
    assert stored.info.experiment_id == parent.info.experiment_id
    found = client.search_runs(
        [parent.info.experiment_id], f"attributes.parent_run_id = '{parent.run_id}'"
    )
    assert [r.info.run_id for r in found] == [child.run_id]
    # MLflow's way to find child runs (the parent is a tag there)
    frame = spanwise.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.run_id}'"
    )
    assert frame["run_id"].tolist() == [child.run_id]


def test_active_run_is_a_contextvar_not_a_thread_local(sdk):
    seen = {}
    with spanwise.start_run(experiment_name=experiment()) as run:
        thread = threading.Thread(target=lambda: seen.setdefault("bare", spanwise.active_run()))
        thread.start()
        thread.join()
        ctx = contextvars.copy_context()
        copied = threading.Thread(
            target=lambda: seen.setdefault("copied", ctx.run(spanwise.active_run))
        )
        copied.start()
        copied.join()

        async def task():
            return spanwise.active_run().run_id

        seen["task"] = asyncio.run(task())
    assert seen["bare"] is None
    assert seen["copied"].run_id == run.run_id
    assert seen["task"] == run.run_id


def test_trace_inside_run_is_found_from_the_run_and_vice_versa(sdk, client, fetch_trace):
    @spanwise.trace
    def predict(x: int) -> int:
        return x * 2

    with spanwise.start_run(experiment_name=experiment()) as run:
        with spanwise.start_span("evaluate") as span:
            trace_id = spanwise.get_current_trace_id()
            span.set_outputs(predict(21))
        predict(1)  # a second trace
    with spanwise.start_span("outside"):
        outside_id = spanwise.get_current_trace_id()

    trace = fetch_trace(trace_id)
    assert trace.info.run_id == run.run_id
    assert {s.attributes["spanwise.run_id"] for s in trace.data.spans} == {run.run_id}
    assert client.get_run(trace.info.run_id).info.run_id == run.run_id
    traces = client.get_run_traces(run.run_id)
    assert trace_id in {t.info.trace_id for t in traces} and len(traces) == 2
    assert all(t.info.run_id == run.run_id for t in traces)
    outside = fetch_trace(outside_id)
    assert outside.info.run_id is None
    page = client.get_run_traces(run.run_id, max_results=1)
    rest = client.get_run_traces(run.run_id, max_results=1, page_token=page.token)
    assert {page[0].info.trace_id, rest[0].info.trace_id} == {t.info.trace_id for t in traces}
    assert rest.token is None


def test_log_metric_without_a_run_starts_one(sdk, client):
    spanwise.set_experiment(experiment())
    try:
        spanwise.log_metric("implicit", 1.5)
        run = spanwise.active_run()
        assert run is not None
    finally:
        spanwise.end_run()
        spanwise.set_experiment("Default")
    assert spanwise.flush(30)
    assert client.get_run(run.run_id).data.metrics == {"implicit": 1.5}


def test_invalid_metric_values_raise(sdk):
    with spanwise.start_run(experiment_name=experiment()):
        with pytest.raises(InvalidParameterError):
            spanwise.log_metric("x", "not a number")
        with pytest.raises(InvalidParameterError):
            spanwise.log_metric(None, 1.0)  # type: ignore[arg-type]
        import numpy as np

        spanwise.log_metric("numpy", np.float32(0.5))
        spanwise.log_metric("int", 3)


def test_a_batch_with_one_bad_entry_logs_nothing(sdk, client):
    """As MLflow's batch logging: log_metrics / log_params / set_tags validate every
    entry before logging any (the entries before the bad one used to be logged)."""
    with spanwise.start_run(experiment_name=experiment()) as run:
        spanwise.log_param("fixed", 1)
        bad_calls = [
            lambda: spanwise.log_metrics({"a": 1.0, "b": "oops"}),
            lambda: spanwise.log_metrics({"a": 1.0}, step="first"),
            lambda: spanwise.log_params({"p1": 1, "fixed": 2}),  # changes a logged param
            lambda: spanwise.log_params({"p2": 1, "": 2}),
            lambda: spanwise.set_tags({"t1": "x", "t2": "y" * 9000}),
            lambda: spanwise.log_metric("c", 1.0, step="first"),
        ]
        for call in bad_calls:
            with pytest.raises(InvalidParameterError):
                call()
        assert run.data.params == {"fixed": "1"} and run.data.metrics == {}
    assert spanwise.flush(30)
    stored = client.get_run(run.run_id).data
    assert (stored.params, stored.metrics, stored.tags) == ({"fixed": "1"}, {}, {})


def test_bad_input_without_a_run_starts_none(sdk):
    with pytest.raises(InvalidParameterError):
        spanwise.log_metrics({"a": "oops"})
    with pytest.raises(InvalidParameterError):
        spanwise.log_param("", 1)
    with pytest.raises(InvalidParameterError):
        spanwise.set_tag("t", "y" * 9000)
    assert spanwise.active_run() is None


def test_search_runs_takes_one_id_name_or_sort_key_as_a_string(sdk):
    """A string was iterated: experiment_ids='<id>' searched one-character ids (0 runs,
    silently) and order_by='metrics.m DESC' failed on its first character."""
    name = experiment()
    with spanwise.start_run(experiment_name=name) as low:
        spanwise.log_metric("m", 1.0)
    with spanwise.start_run(experiment_name=name) as high:
        spanwise.log_metric("m", 2.0)
    expected = [high.run_id, low.run_id]
    by_id = spanwise.search_runs(low.info.experiment_id, order_by="metrics.m DESC")
    by_name = spanwise.search_runs(experiment_names=name, order_by="metrics.m DESC")
    assert by_id["run_id"].tolist() == expected == by_name["run_id"].tolist()
    client = spanwise.Client()
    found = client.search_runs([low.info.experiment_id], order_by="metrics.m DESC")
    assert [r.info.run_id for r in found] == expected


def test_a_worker_thread_logs_to_its_parents_run_by_id(sdk, client):
    """A bare thread does not see the run its parent made active (contextvars): with
    ``run_id=`` it logs to that run, as with MLflow's ``run_id`` arguments."""
    with spanwise.start_run(experiment_name=experiment()) as run:

        def work() -> None:
            assert spanwise.active_run() is None
            spanwise.log_metric("loss", 0.5, step=3, run_id=run.run_id)
            spanwise.log_metrics({"acc": 0.9}, run_id=run.run_id)
            spanwise.log_param("worker", "w1", run_id=run.run_id)
            spanwise.set_tag("shard", "7", run_id=run.run_id)

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
    spanwise.log_metric("after_end", 1.0, run_id=run.run_id)  # an ended run, as MLflow allows
    assert spanwise.flush(30)
    stored = client.get_run(run.run_id)
    assert stored.data.metrics == {"loss": 0.5, "acc": 0.9, "after_end": 1.0}
    assert stored.data.params == {"worker": "w1"} and stored.data.tags["shard"] == "7"
    assert run.data.params == {"worker": "w1"}  # the process's own view too


def test_run_id_of_a_run_not_started_here_is_refused_and_starts_nothing(sdk):
    with pytest.raises(InvalidParameterError, match="not a run this process started"):
        spanwise.log_metric("m", 1.0, run_id="0" * 32)
    with pytest.raises(InvalidParameterError, match="not a run this process started"):
        spanwise.log_params({"p": 1}, run_id="nope")
    assert spanwise.active_run() is None


def test_last_active_run_is_the_active_one_or_the_last_ended(sdk):
    with spanwise.start_run(experiment_name=experiment()) as run:
        assert spanwise.last_active_run().run_id == run.run_id
        spanwise.log_metric("m", 2.0)
    last = spanwise.last_active_run()
    assert last.run_id == run.run_id
    assert last.info.status == "FINISHED" and last.data.metrics == {"m": 2.0}
    assert spanwise.flush(30)


def test_start_run_with_run_id_resumes_a_run_this_process_ended(sdk, client):
    with spanwise.start_run(experiment_name=experiment(), run_name="train") as run:
        spanwise.log_metric("loss", 1.0, step=0)
        spanwise.log_param("lr", 0.1)
    with spanwise.start_run(run_id=run.run_id, tags={"phase": "2"}) as again:
        assert spanwise.active_run().run_id == run.run_id == again.run_id
        assert again.info.status == "RUNNING" and again.info.end_time is None
        spanwise.log_metric("loss", 0.5, step=1)
        with pytest.raises(InvalidParameterError, match="Changing param values"):
            spanwise.log_param("lr", 0.2)
    assert spanwise.flush(30)
    stored = client.get_run(run.run_id)
    assert stored.info.status == "FINISHED" and stored.info.run_name == "train"
    assert [m.value for m in client.get_metric_history(run.run_id, "loss")] == [1.0, 0.5]
    assert stored.data.params == {"lr": "0.1"} and stored.data.tags["phase"] == "2"


RESUMED_ELSEWHERE = """
import sys
import spanwise

spanwise.configure(endpoint=sys.argv[1], project="tests")
spanwise.set_experiment(sys.argv[2])
with spanwise.start_run(run_name="first-process") as run:
    spanwise.log_param("seed", 7)
    spanwise.log_metric("acc", 0.5, step=0)
print(run.run_id)
"""


def test_start_run_with_run_id_resumes_a_run_of_another_process(sdk, client, collector):
    import subprocess
    import sys

    from tests.support.collector import source_env

    done = subprocess.run(
        [sys.executable, "-c", RESUMED_ELSEWHERE, collector.grpc_endpoint, experiment()],
        capture_output=True, text=True, timeout=60, env=source_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    with spanwise.start_run(run_id=run_id) as run:
        assert run.info.run_name == "first-process" and run.data.params == {"seed": "7"}
        with pytest.raises(InvalidParameterError, match="Changing param values"):
            spanwise.log_param("seed", 8)  # immutable across processes too
        spanwise.log_metric("acc", 0.75, step=1)
    assert spanwise.flush(30)
    stored = client.get_run(run_id)
    assert stored.info.status == "FINISHED" and stored.data.metrics == {"acc": 0.75}
    assert stored.data.params == {"seed": "7"}


def test_start_run_with_an_unknown_run_id_is_refused_and_starts_nothing(sdk):
    with pytest.raises(InvalidParameterError, match="not found"):
        spanwise.start_run(run_id="f" * 32)
    assert spanwise.active_run() is None


def test_search_runs_as_a_list_of_runs(sdk):
    name = experiment()
    with spanwise.start_run(experiment_name=name, run_name="listed") as run:
        spanwise.log_metric("m", 3.0)
    runs = spanwise.search_runs(experiment_names=[name], output_format="list")
    assert [(r.info.run_id, r.info.run_name, r.data.metrics) for r in runs] == [
        (run.run_id, "listed", {"m": 3.0})
    ]
    with pytest.raises(InvalidParameterError, match="output_format"):
        spanwise.search_runs(experiment_names=[name], output_format="json")


def test_the_mlflow_run_name_tag_renames_the_run(sdk, client):
    with spanwise.start_run(experiment_name=experiment(), run_name="draft") as run:
        spanwise.set_tag("mlflow.runName", "final")
        assert run.info.run_name == "final"
    assert spanwise.flush(30)
    stored = client.get_run(run.run_id)
    assert stored.info.run_name == "final" and stored.data.tags["mlflow.runName"] == "final"


def test_a_step_or_timestamp_out_of_int64_is_refused_and_the_run_survives(sdk, client):
    """Such a step was accepted, then failed where the sender built its batch: the
    whole batch — the run's start, params, other metrics — was dropped. 1.5 became 1."""
    with spanwise.start_run(experiment_name=experiment()) as run:
        spanwise.log_param("lr", 0.01)
        for bad in (
            lambda: spanwise.log_metric("a", 1.0, step=2**63),
            lambda: spanwise.log_metric("a", 1.0, step=1.5),
            lambda: spanwise.log_metric("a", 1.0, timestamp=-(2**63) - 1),
            lambda: spanwise.log_metrics({"a": 1.0}, step=float("inf")),
        ):
            with pytest.raises(InvalidParameterError, match="whole number"):
                bad()
        spanwise.log_metric("a", 2.0, step=2**63 - 1, timestamp=2.0)
        spanwise.log_metric("a", 1.0, step=3, timestamp=1_500.7)  # time.time() * 1000
    assert spanwise.flush(30)
    stored = client.get_run(run.run_id)
    assert stored.info.status == "FINISHED" and stored.data.params == {"lr": "0.01"}
    points = client.get_metric_history(run.run_id, "a")
    assert [(p.value, p.step, p.timestamp) for p in points] == [
        (1.0, 3, 1_500), (2.0, 2**63 - 1, 2)
    ]  # fmt: skip


def test_a_run_name_tag_too_long_for_a_run_name_is_refused_and_the_run_survives(sdk, client):
    """It renamed the run to a name the collector refuses: the batch carrying the run's
    start and params was refused whole, and the run was never stored."""
    with spanwise.start_run(experiment_name=experiment(), run_name="draft") as run:
        spanwise.log_param("lr", 0.01)
        with pytest.raises(InvalidParameterError, match="limit is 250"):
            spanwise.set_tag("mlflow.runName", "x" * 251)
        with pytest.raises(InvalidParameterError, match="limit is 250"):
            spanwise.start_run(nested=True, tags={"mlflow.runName": "y" * 251})
        assert run.info.run_name == "draft"
    assert spanwise.flush(30)
    stored = client.get_run(run.run_id)
    assert stored.info.run_name == "draft" and stored.data.params == {"lr": "0.01"}


def test_a_nested_run_left_open_ends_with_its_parent(sdk, client):
    """A child started without ``with`` stayed active and RUNNING after its parent's
    block had failed: the next start_run() raised "already active", and the child
    was ended FINISHED at exit."""
    with pytest.raises(RuntimeError), spanwise.start_run(experiment_name=experiment()) as parent:
        child = spanwise.start_run(nested=True)
        grandchild = spanwise.start_run(nested=True)
        raise RuntimeError("diverged")
    assert spanwise.active_run() is None
    with spanwise.start_run(experiment_name=experiment()):
        pass
    assert spanwise.flush(30)
    for run in (parent, child, grandchild):
        assert client.get_run(run.run_id).info.status == "FAILED"


def test_the_frame_has_mlflows_run_name_and_parent_tags(sdk):
    """MLflow's frame has tags.mlflow.runName for every run and tags.mlflow.parentRunId
    for nested ones; ported notebooks index them (a KeyError here)."""
    name = experiment()
    parent = spanwise.start_run(experiment_name=name, run_name="sweep")
    with parent, spanwise.start_run(run_name="trial-1", nested=True) as child:
        pass
    frame = spanwise.search_runs(experiment_names=[name], order_by=["attributes.run_name"])
    assert frame["tags.mlflow.runName"].tolist() == ["sweep", "trial-1"]
    top = frame[frame["tags.mlflow.parentRunId"].isna()]
    assert top["run_id"].tolist() == [parent.run_id]
    assert frame["tags.mlflow.parentRunId"].tolist()[1] == parent.run_id == child.info.parent_run_id
