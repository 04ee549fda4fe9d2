"""Run search over HTTP: filter strings (errors, injection attempts), paging,
experiments, idempotent re-delivery of run events, and artifact path safety."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import grpc
import pytest
import spanwise
from spanwise import SpanwiseAPIError
from spanwise._proto.runs.v1 import runs_pb2, runs_pb2_grpc

HOSTILE_VALUES = [
    "x' OR '1'='1",
    "x'; DROP TABLE runs; --",
    "Robert'); DELETE FROM run_params WHERE ('1'='1",
    "a\\' OR 1=1 --",
    "{f0:String}",
    "Zürich — 東京 🚀",
    "SELECT * FROM system.tables",
]


@pytest.fixture(scope="module")
def hostile(module_sdk):
    """One run per hostile value, tagged and param'd with it, plus a unicode-keyed tag."""
    name = f"hostile-{uuid.uuid4().hex[:8]}"
    made = {}
    for value in HOSTILE_VALUES:
        with spanwise.start_run(experiment_name=name) as run:
            spanwise.set_tag("note", value)
            spanwise.log_param("we'ird key", value)
            spanwise.set_tag("ключ", "значение")
            spanwise.log_metric("m", 1.0)
        made[value] = run.run_id
    assert spanwise.flush(30)
    return spanwise.Client().get_experiment_by_name(name), made


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_values_are_matched_literally(hostile, client, value):
    experiment, made = hostile
    runs = client.search_runs([experiment.experiment_id], f"tags.note = '{_escape(value)}'")
    assert [r.info.run_id for r in runs] == [made[value]]
    runs = client.search_runs([experiment.experiment_id],
                              f"params.`we'ird key` = '{_escape(value)}'")  # fmt: skip
    assert [r.info.run_id for r in runs] == [made[value]]


def test_unicode_keys_and_like(hostile, client):
    experiment, made = hostile
    runs = client.search_runs([experiment.experiment_id], "tags.`ключ` = 'значение'")
    assert len(runs) == len(made)
    runs = client.search_runs([experiment.experiment_id], "tags.note LIKE '%東京%'")
    assert [r.info.run_id for r in runs] == [made["Zürich — 東京 🚀"]]


@pytest.mark.parametrize(
    "bad",
    [
        "metrics.m < 1; DROP TABLE runs",
        "tags.note = 'x' UNION SELECT name FROM system.tables",
        "attributes.status = 'FINISHED' OR 1=1",
        "tags.note = 'unterminated",
        "metrics.m <",
        "1 = 1",
        "metrics.m < 1 --",
        "nonsense.key = 'x'",
        "attributes.status = 'DONE'",
        "metrics.m LIKE 'x'",
        "tags.note = x",
        "((metrics.m < 1)",
    ],
)
def test_bad_filters_are_rejected_with_a_clear_400(hostile, client, bad):
    experiment, _ = hostile
    with pytest.raises(SpanwiseAPIError) as info:
        client.search_runs([experiment.experiment_id], bad)
    assert info.value.status == 400
    assert info.value.message
    # The store is intact and still answers.
    assert len(client.search_runs([experiment.experiment_id])) == len(HOSTILE_VALUES)


def test_error_names_position_and_expectation(client):
    with pytest.raises(SpanwiseAPIError) as info:
        client.search_runs(filter_string="metrics.rmse < 3 AND")
    assert "position 20" in info.value.message and "expected" in info.value.message


def test_bad_order_by_and_page_token(hostile, client):
    experiment, _ = hostile
    with pytest.raises(SpanwiseAPIError, match="400"):
        client.search_runs([experiment.experiment_id], order_by=["metrics.m SIDEWAYS"])
    with pytest.raises(SpanwiseAPIError, match="400"):
        client.search_runs([experiment.experiment_id], page_token="garbage!")


def test_paging_is_stable_and_tokens_are_bound_to_the_query(hostile, client):
    experiment, made = hostile
    seen, token = [], None
    while True:
        page = client.search_runs([experiment.experiment_id], "metrics.m = 1",
                                  ["attributes.run_id ASC"], max_results=3, page_token=token)  # fmt: skip
        seen += [r.info.run_id for r in page]
        token = page.token
        if token is None:
            break
        assert len(page) == 3
    assert seen == sorted(made.values())
    first = client.search_runs([experiment.experiment_id], "metrics.m = 1", max_results=2)
    with pytest.raises(SpanwiseAPIError, match="different query"):
        client.search_runs([experiment.experiment_id], "metrics.m = 2", page_token=first.token)


def test_experiments_get_and_search(hostile, client):
    experiment, _ = hostile
    assert client.get_experiment(experiment.experiment_id) == experiment
    assert client.get_experiment_by_name("no such experiment " + uuid.uuid4().hex) is None
    found = client.search_experiments(filter_string=f"name = '{experiment.name}'")
    assert [e.experiment_id for e in found] == [experiment.experiment_id]
    found = client.search_experiments(filter_string="name LIKE 'hostile-%'")
    assert experiment.experiment_id in {e.experiment_id for e in found}
    assert client.get_run(uuid.uuid4().hex) is None
    with pytest.raises(SpanwiseAPIError, match="400"):
        client.get_run("not-a-run-id")


def test_bare_attribute_names_filter_and_sort_as_in_mlflow(sdk, client):
    """MLflow reads an identifier without a prefix as an attribute: ``status = 'FAILED'``,
    ``order_by=["start_time DESC"]`` (its common idiom) were refused here with a 400."""
    name = f"bare-{uuid.uuid4().hex[:8]}"
    with spanwise.start_run(experiment_name=name, run_name="a") as first:
        pass
    with pytest.raises(ValueError), spanwise.start_run(experiment_name=name, run_name="b"):
        raise ValueError("diverged")
    assert spanwise.flush(30)
    exp_id = first.info.experiment_id

    def names(filter_string: str = "", order_by: list[str] | None = None) -> list[str]:
        return [r.info.run_name for r in client.search_runs([exp_id], filter_string, order_by)]

    assert names("status = 'FAILED'") == ["b"]
    assert names("run_name = 'a' AND end_time IS NOT NULL") == ["a"]
    assert names(order_by=["start_time DESC"]) == names(order_by=["attributes.start_time DESC"])
    assert names(order_by=["run_name DESC"]) == ["b", "a"]
    found = client.search_experiments(f"experiment_id = '{exp_id}'", ["creation_time DESC"])
    assert [e.name for e in found] == [name]


def test_top_level_runs_are_those_whose_parent_is_null(sdk, client):
    """The API shows a top-level run's parent_run_id as null, but ``parent_run_id IS
    NULL`` matched no run (the column holds '') and IS NOT NULL matched every run."""
    name = f"tree-{uuid.uuid4().hex[:8]}"
    with (
        spanwise.start_run(experiment_name=name) as parent,
        spanwise.start_run(nested=True) as child,
    ):
        pass
    assert spanwise.flush(30)
    exp_id = parent.info.experiment_id

    def ids(filter_string: str) -> list[str]:
        return [r.info.run_id for r in client.search_runs([exp_id], filter_string)]

    assert client.get_run(parent.run_id).info.parent_run_id is None
    assert ids("attributes.parent_run_id IS NULL") == [parent.run_id]
    assert ids("tags.mlflow.parentRunId IS NULL") == [parent.run_id]
    assert ids("attributes.parent_run_id IS NOT NULL") == [child.run_id]
    assert ids(f"tags.mlflow.parentRunId = '{parent.run_id}'") == [child.run_id]


def test_a_run_linked_to_its_parent_by_mlflows_tag_is_its_child(sdk, client):
    """A sweep worker in another process links its run MLflow's way, with the
    mlflow.parentRunId tag: the run showed the tag, yet the filter on that very tag
    matched nothing and info.parent_run_id was None."""
    name = f"tag-parent-{uuid.uuid4().hex[:8]}"
    with spanwise.start_run(experiment_name=name, run_name="sweep") as parent:
        pass
    with spanwise.start_run(experiment_name=name, tags={"mlflow.parentRunId": parent.run_id}) as t:
        pass
    assert spanwise.flush(30)
    exp_id = parent.info.experiment_id
    found = client.search_runs([exp_id], f"tags.mlflow.parentRunId = '{parent.run_id}'")
    assert [r.info.run_id for r in found] == [t.run_id]
    assert found[0].info.parent_run_id == parent.run_id
    top = client.search_runs([exp_id], "attributes.parent_run_id IS NULL")
    assert [r.info.run_id for r in top] == [parent.run_id]


def _event(**kw):
    return runs_pb2.RunEvent(event_id=kw.pop("event_id"), **kw)


def test_retried_batches_do_not_duplicate(collector, client):
    """The same LogBatch delivered three times (a client retrying) stores each thing once."""
    run_id, exp_id = uuid.uuid4().hex, uuid.uuid4().hex
    events = [
        _event(event_id=1, create_experiment=runs_pb2.CreateExperiment(
            experiment_id=exp_id, name=f"retry-{exp_id}", creation_time_ms=1)),
        _event(event_id=2, run_update=runs_pb2.RunUpdate(
            run_id=run_id, experiment_id=exp_id, run_name="r", status="RUNNING",
            start_time_ms=1000, version=1)),
        _event(event_id=3, param=runs_pb2.Param(run_id=run_id, key="p", value="v")),
        _event(event_id=4, tag=runs_pb2.Tag(run_id=run_id, key="t", value="v", version=1)),
        *(_event(event_id=10 + i, metric=runs_pb2.Metric(
            run_id=run_id, key="loss", value=1.0 / (i + 1), step=i, timestamp_ms=1000 + i))
          for i in range(5)),
    ]  # fmt: skip
    final = _event(event_id=99, run_update=runs_pb2.RunUpdate(
        run_id=run_id, experiment_id=exp_id, run_name="r", status="FINISHED",
        start_time_ms=1000, end_time_ms=2000, version=2))  # fmt: skip
    with grpc.insecure_channel(collector.grpc_target) as channel:
        stub = runs_pb2_grpc.RunServiceStub(channel)
        stub.LogBatch(runs_pb2.LogBatchRequest(events=[*events, final]), timeout=10)
        for _ in range(2):  # a late retry of the first state must not undo the end
            assert stub.LogBatch(
                runs_pb2.LogBatchRequest(events=events), timeout=10
            ).accepted == len(events)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.end_time == 2000
    assert run.data.params == {"p": "v"} and run.data.tags == {"t": "v"}
    assert [m.step for m in client.get_metric_history(run_id, "loss")] == [0, 1, 2, 3, 4]
    assert run.data.metrics["loss"] == pytest.approx(0.2)
    assert len(client.search_runs([exp_id])) == 1
    assert len(client.search_experiments(filter_string=f"name = 'retry-{exp_id}'")) == 1


def test_invalid_events_are_refused_whole(collector, client):
    run_id = uuid.uuid4().hex
    good = _event(event_id=1, param=runs_pb2.Param(run_id=run_id, key="p", value="v"))
    for bad in (
        _event(event_id=2, param=runs_pb2.Param(run_id="NOT-HEX", key="p", value="v")),
        _event(event_id=3, metric=runs_pb2.Metric(run_id=run_id, key="", value=1.0)),
        _event(
            event_id=4,
            run_update=runs_pb2.RunUpdate(run_id=run_id, experiment_id="e", status="WHATEVER"),
        ),
        runs_pb2.RunEvent(event_id=5),
        # a time out of range (ns sent as ms): was UNKNOWN with a traceback, then retried
        _event(
            event_id=6,
            run_update=runs_pb2.RunUpdate(
                run_id=run_id, experiment_id="e", status="RUNNING", start_time_ms=time.time_ns()
            ),
        ),
        _event(
            event_id=7,
            create_experiment=runs_pb2.CreateExperiment(
                experiment_id="e", name="n", creation_time_ms=-(2**62)
            ),
        ),
    ):
        with grpc.insecure_channel(collector.grpc_target) as channel:
            stub = runs_pb2_grpc.RunServiceStub(channel)
            with pytest.raises(grpc.RpcError) as info:
                stub.LogBatch(runs_pb2.LogBatchRequest(events=[good, bad]), timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value.details()
    assert client.search_runs(filter_string=f"attributes.run_id = '{run_id}'") == []


def test_malformed_run_event_bytes_are_invalid_argument(collector):
    """gRPC's own deserializer answered INTERNAL "Exception deserializing request!",
    which senders retry as the collector's fault."""
    with grpc.insecure_channel(collector.grpc_target) as channel:
        call = channel.unary_unary("/spanwise.runs.v1.RunService/LogBatch")
        with pytest.raises(grpc.RpcError) as info:
            call(b"\x0a\xff\xff\xff\x0fgarbage", timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "invalid protobuf" in info.value.details()


@pytest.mark.parametrize(
    "path",
    ["../escape.txt", "a/../../escape.txt", "%2e%2e/escape.txt", "a/%2e%2e/%2e%2e/escape.txt",
     "%2Fetc/passwd", "a\\..\\escape.txt", "a/./b.txt", "bad%00name"],
)  # fmt: skip
def test_artifact_paths_cannot_escape_the_run(collector, path, tmp_path):
    run_id = uuid.uuid4().hex
    req = urllib.request.Request(
        f"{collector.http_url}/api/v1/runs/{run_id}/artifacts/{path}", data=b"x", method="PUT"
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code in (400, 404)
    store = collector.store  # the collector's data directory
    escaped = [p for p in __import__("pathlib").Path(store).parent.rglob("escape.txt")]
    assert escaped == []


def test_artifact_download_of_missing_file_is_404(collector, client):
    run_id = uuid.uuid4().hex
    assert client.list_artifacts(run_id) == []
    with pytest.raises(SpanwiseAPIError, match="404"):
        client._download_file(run_id, "nope.txt", __import__("pathlib").Path("/tmp/never"))


def test_download_artifacts_of_a_missing_path_raises_404(sdk, client, tmp_path):
    """It returned a local path that did not exist, as if the download had worked."""
    (tmp_path / "out" / "sub").mkdir(parents=True)
    (tmp_path / "out" / "sub" / "ünï cödé #1.txt").write_text("x")
    with spanwise.start_run(experiment_name=f"art-{uuid.uuid4().hex[:8]}") as run:
        spanwise.log_artifacts(tmp_path / "out", artifact_path="model")
    got = client.download_artifacts(run.run_id, "model/sub", str(tmp_path / "dst"))
    assert [p.name for p in Path(got).iterdir()] == ["ünï cödé #1.txt"]
    for missing in ("model/missing.txt", "nothing/here"):
        with pytest.raises(SpanwiseAPIError, match=r"404.*has no artifact"):
            client.download_artifacts(run.run_id, missing, str(tmp_path / "dst"))
    assert client.download_artifacts(uuid.uuid4().hex, dst_path=str(tmp_path / "empty"))


def test_http_api_search_returns_json_with_non_finite_metrics_as_strings(collector, sdk):
    with spanwise.start_run(experiment_name=f"json-{uuid.uuid4().hex[:8]}") as run:
        spanwise.log_metric("nan", float("nan"))
    assert spanwise.flush(30)
    body = json.dumps({"filter_string": f"attributes.run_id = '{run.run_id}'"}).encode()
    req = urllib.request.Request(f"{collector.http_url}/api/v1/runs/search", data=body,
                                 method="POST", headers={"content-type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=10) as resp:
        payload = json.loads(resp.read())
    assert payload["runs"][0]["data"]["metrics"] == {"nan": "NaN"}
