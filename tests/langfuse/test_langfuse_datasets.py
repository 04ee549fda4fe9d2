"""Langfuse's datasets and experiments on Spanwise datasets: the real Langfuse SDK (in
its own process, as an app runs it) creates datasets and items, reads them back, runs an
experiment whose item scores arrive as feedback; the same records read through
Spanwise's own API; the error shapes and paging of the Langfuse routes over plain HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.support.collector import source_env
from tests.support.waiting import wait_for

APP = """
import json, logging, sys
from langfuse import Evaluation, Langfuse
from langfuse.api.core import ApiError

warnings = []
class Keep(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())
logging.getLogger("langfuse").addHandler(Keep(logging.WARNING))

case, name = sys.argv[1], sys.argv[2]
lf = Langfuse()
seen = {}


def items(dataset):
    return [[i.id, i.input, i.expected_output, i.metadata, i.status, i.source_trace_id,
             i.dataset_name] for i in dataset.items]


if case == "round-trip":
    made = lf.create_dataset(name=name, description="capitals of Europe",
                             metadata={"owner": "x", "tags": [1, 2]})
    seen["made"] = [made.name, made.description, made.metadata, made.project_id]
    first = lf.create_dataset_item(dataset_name=name, input={"country": "Italy"},
                                   expected_output="Rome", metadata={"level": 1},
                                   source_trace_id="ab" * 16, source_observation_id="cd" * 8)
    seen["first_id"] = first.id
    lf.create_dataset_item(dataset_name=name, input="France?", expected_output={"city": "Paris"},
                           id="item-2")
    lf.create_dataset_item(dataset_name=name, input=["Spain", 3], id="item-3")
    seen["before"] = items(lf.get_dataset(name))
    changed = lf.create_dataset_item(dataset_name=name, input="France, please?", id="item-2",
                                     expected_output={"city": "Paris", "river": "Seine"},
                                     metadata="checked", status="ARCHIVED")
    seen["changed"] = [changed.id, changed.input, changed.expected_output, changed.metadata,
                       changed.status]
    again = lf.get_dataset(name, fetch_items_page_size=2)  # two pages
    seen["after"] = items(again)
    seen["dataset"] = [again.id, again.name, again.description, again.metadata]

elif case == "experiment":
    lf.create_dataset(name=name)
    lf.create_dataset_item(dataset_name=name, input={"country": "Italy"}, expected_output="Rome")
    lf.create_dataset_item(dataset_name=name, input="France?", expected_output="Paris")
    capitals = {"Italy": "Rome", "France?": "Lyon"}

    def task(*, item, **kwargs):
        key = item.input["country"] if isinstance(item.input, dict) else item.input
        return capitals[key]

    def exact(*, input, output, expected_output=None, **kwargs):
        return Evaluation(name="exact", value=1.0 if output == expected_output else 0.0,
                          comment=f"{output} vs {expected_output}")

    result = lf.get_dataset(name).run_experiment(name="capitals-exp", task=task,
                                                 evaluators=[exact])
    lf.flush()
    seen["items"] = [[r.trace_id, r.output, [e.value for e in r.evaluations]]
                     for r in result.item_results]
    seen["experiment_url"] = result.experiment_url

elif case == "errors":
    try:
        lf.get_dataset(name)
    except ApiError as exc:
        seen["unknown"] = [type(exc).__name__, exc.status_code, exc.body]
    lf.create_dataset(name=name + "-ok")
    try:
        lf.create_dataset_item(dataset_name=name + "-ok", input="q", source_trace_id="not-hex")
    except ApiError as exc:
        seen["bad_source"] = [type(exc).__name__, exc.status_code, exc.body]
    seen["count"] = len(lf.get_dataset(name + "-ok").items)

seen["warnings"] = warnings
print(json.dumps(seen))
"""


def _run(tmp_path, collector, case: str, name: str) -> dict:
    script = tmp_path / "datasets_app.py"
    script.write_text(APP)
    env = source_env({"LANGFUSE_BASE_URL": collector.http_url,
                      "LANGFUSE_PUBLIC_KEY": "pk-lf-test", "LANGFUSE_SECRET_KEY": "sk-lf-test",
                      "OTEL_SDK_DISABLED": ""})  # fmt: skip
    done = subprocess.run([sys.executable, str(script), case, name], capture_output=True,
                          text=True, timeout=120, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    if case != "errors":
        assert seen.pop("warnings") == [], done.stderr
    return seen


def _name(prefix: str = "lf-ds") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _records(collector, name: str) -> dict[str, dict]:
    answer = httpx.get(f"{collector.http_url}/api/v1/datasets/{name}/records")
    assert answer.status_code == 200, answer.text
    return {r["record_id"]: r for r in answer.json()["records"]}


def test_a_langfuse_dataset_round_trips_through_spanwise_datasets(collector, tmp_path):
    name = _name()
    seen = _run(tmp_path, collector, "round-trip", name)
    assert seen["made"] == [name, "capitals of Europe", {"owner": "x", "tags": [1, 2]},
                            "spanwise"]  # fmt: skip
    first = seen["first_id"]
    uuid.UUID(first)  # the SDK's own id, kept as the record id
    assert seen["before"] == [
        [first, {"country": "Italy"}, "Rome", {"level": 1}, "ACTIVE", "ab" * 16, name],
        ["item-2", "France?", {"city": "Paris"}, None, "ACTIVE", None, name],
        ["item-3", ["Spain", 3], None, None, "ACTIVE", None, name],
    ]  # oldest first
    # An upsert by id changes the item in place: same place in the order, new values.
    changed = ["item-2", "France, please?", {"city": "Paris", "river": "Seine"}, "checked",
               "ARCHIVED"]  # fmt: skip
    assert seen["changed"] == changed
    assert seen["after"] == [seen["before"][0], [*changed, None, name], seen["before"][2]]
    dataset_id, *rest = seen["dataset"]
    assert rest == [name, "capitals of Europe", {"owner": "x", "tags": [1, 2]}]

    # The same dataset through Spanwise's own API, with the mapped fields.
    mine = httpx.get(f"{collector.http_url}/api/v1/datasets/{name}").json()
    assert (mine["dataset_id"], mine["record_count"]) == (dataset_id, 3)
    assert mine["tags"] == {"langfuse.metadata": '{"owner":"x","tags":[1,2]}'}
    records = _records(collector, name)
    assert records[first]["inputs"] == {"country": "Italy"}
    assert records[first]["expectations"] == {"expected_response": "Rome"}
    assert records[first]["source_trace_id"] == "ab" * 16
    assert records[first]["tags"] == {
        "langfuse.input": "object", "langfuse.metadata": '{"level":1}',
        "langfuse.source_observation_id": "cd" * 8,
    }  # fmt: skip
    assert records["item-2"]["inputs"] == {"input": "France, please?"}
    assert records["item-2"]["expectations"] == {
        "expected_response": {"city": "Paris", "river": "Seine"}
    }
    assert records["item-2"]["tags"] == {
        "langfuse.input": "wrapped", "langfuse.metadata": '"checked"', "langfuse.status": "ARCHIVED",
    }  # fmt: skip
    assert records["item-3"]["inputs"] == {"input": ["Spain", 3]}
    assert records["item-3"]["expectations"] == {}


def test_run_experiment_over_a_dataset_scores_its_traces(client, collector, tmp_path):
    seen = _run(tmp_path, collector, "experiment", _name())
    assert [item[1:] for item in seen["items"]] == [["Rome", [1.0]], ["Lyon", [0.0]]]
    assert seen["experiment_url"].startswith(f"{collector.http_url}/project/spanwise/")

    def scored(trace_id: str):
        trace = client.get_trace(trace_id)
        found = [a for a in trace.info.assessments if a.name == "exact"] if trace else []
        return (trace, found[0]) if found else None

    for trace_id, output, [value] in seen["items"]:
        assert wait_for(lambda t=trace_id: scored(t), timeout=60), f"no score on {trace_id}"
        trace, exact = scored(trace_id)
        assert exact.value == value and exact.rationale.startswith(output)
        task = next(s for s in trace.data.spans if s.name == "experiment-item-task")
        assert exact.span_id == task.span_id  # the score names the task's observation
        assert task.outputs == output


def test_langfuse_sdk_errors_for_datasets(collector, tmp_path):
    name = _name("lf-missing")
    seen = _run(tmp_path, collector, "errors", name)
    kind, status, body = seen["unknown"]
    assert (kind, status, body["error"]) == ("NotFoundError", 404, "LangfuseNotFoundError")
    assert name in body["message"]
    kind, status, body = seen["bad_source"]
    assert (status, body["error"]) == (400, "InvalidRequestError")
    assert body["message"].startswith("sourceTraceId: invalid trace id 'not-hex'")
    assert seen["count"] == 0
    # What the SDK logs: its generic text for the 400 (a 404 it raises without a word).
    assert [w.split(".")[0] for w in seen["warnings"]] == ["Bad request"]


# Plain HTTP: error shapes, paging, item reads and deletes.
def _post(collector, path: str, body) -> httpx.Response:
    return httpx.post(f"{collector.http_url}/api/public{path}", json=body)


def _get(collector, path: str, **params) -> httpx.Response:
    return httpx.get(f"{collector.http_url}/api/public{path}", params=params)


@pytest.fixture
def dataset(collector) -> str:
    name = _name("lf-http")
    assert _post(collector, "/v2/datasets", {"name": name}).status_code == 200
    return name


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "has space"}, "id 'has space'"),
        ({"id": "x" * 129}, "id 'xxx"),
        ({"sourceTraceId": "abc"}, "sourceTraceId: invalid trace id"),
        ({"sourceTraceId": 7}, "sourceTraceId must be a string"),
        ({"status": "DONE"}, "status must be ACTIVE or ARCHIVED"),
        ({"input": float("nan")}, "input must be a finite number"),
        ({"metadata": "m" * 70_000}, "metadata is longer than"),
        ({"sourceObservationId": 3}, "sourceObservationId must be a string"),
        ({"datasetName": None}, "datasetName: a dataset name is required"),
    ],
)
def test_bad_items_are_refused_naming_the_field_and_write_nothing(collector, dataset, change,
                                                                 field):  # fmt: skip
    body = {"datasetName": dataset, "input": {"q": 1}, **change}
    answer = httpx.post(f"{collector.http_url}/api/public/dataset-items",
                        content=json.dumps(body, allow_nan=True),
                        headers={"content-type": "application/json"})  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "InvalidRequestError"
    assert answer.json()["message"].startswith(field)
    assert _records(collector, dataset) == {}


def test_unknown_datasets_and_items_answer_404_as_langfuse_does(collector):
    missing = _name("lf-none")
    for answer in (
        _get(collector, f"/v2/datasets/{missing}"),
        _get(collector, "/dataset-items", datasetName=missing),
        _post(collector, "/dataset-items", {"datasetName": missing, "input": "q"}),
        _get(collector, f"/dataset-items/{uuid.uuid4()}"),
        _get(collector, "/dataset-items/not an id"),
        httpx.delete(f"{collector.http_url}/api/public/dataset-items/{uuid.uuid4()}"),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"] == "LangfuseNotFoundError"
        assert answer.json()["message"]
    assert httpx.get(f"{collector.http_url}/api/v1/datasets/{missing}").status_code == 404


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("/dataset-items", {}, "datasetName is required"),
        ("/dataset-items", {"datasetName": "d", "version": "2026-01-01T00:00:00Z"}, "version"),
        ("/dataset-items", {"datasetName": "d", "sourceTraceId": "ab" * 16}, "filtering"),
        ("/dataset-items", {"datasetName": "d", "limit": 0}, "limit must be"),
        ("/v2/datasets", {"page": 0}, "page starts at 1"),
    ],
)
def test_unsupported_item_queries_are_400(collector, path, params, says):
    answer = _get(collector, path, **params)
    assert answer.status_code == 400 and says in answer.json()["message"]


def test_dataset_schemas_are_refused(collector):
    name = _name()
    answer = _post(collector, "/v2/datasets", {"name": name, "inputSchema": {"type": "object"}})
    assert answer.status_code == 400 and "inputSchema" in answer.json()["message"]
    assert _get(collector, f"/v2/datasets/{name}").status_code == 404


def test_items_page_oldest_first(collector, dataset):
    ids = [f"i-{n}" for n in range(5)]
    for n, item_id in enumerate(ids):
        made = _post(collector, "/dataset-items",
                     {"datasetName": dataset, "id": item_id, "input": {"n": n}})  # fmt: skip
        assert made.status_code == 200 and made.json()["input"] == {"n": n}

    def page(number: int, limit: int = 2) -> dict:
        answer = _get(collector, "/dataset-items", datasetName=dataset, page=number, limit=limit)
        assert answer.status_code == 200, answer.text
        return answer.json()

    pages = [page(n) for n in (1, 2, 3, 4)]
    assert [[i["id"] for i in p["data"]] for p in pages] == [ids[:2], ids[2:4], ids[4:], []]
    assert pages[0]["meta"] == {"page": 1, "limit": 2, "totalItems": 5, "totalPages": 3}
    assert pages[2]["data"][0]["datasetName"] == dataset
    assert [i["id"] for i in page(1, 1000)["data"]] == ids
    assert page(1, 5)["meta"]["totalPages"] == 1

    listed = _get(collector, "/v2/datasets", page=1, limit=1000).json()
    assert dataset in [d["name"] for d in listed["data"]]
    one = _get(collector, "/v2/datasets", page=1, limit=1).json()
    assert len(one["data"]) == 1 and one["meta"]["totalPages"] == one["meta"]["totalItems"]


def test_item_by_id_read_changed_and_deleted(collector, dataset):
    url = f"{collector.http_url}/api/public/dataset-items"
    assert _post(collector, "/dataset-items",
                 {"datasetName": dataset, "id": "it-1", "input": "plain"}).status_code == 200  # fmt: skip
    assert httpx.get(f"{url}/it-1").json()["input"] == "plain"
    # From a wrapped input to an object shaped like the wrapping: read back as given.
    _post(
        collector, "/dataset-items", {"datasetName": dataset, "id": "it-1", "input": {"input": "x"}}
    )
    item = httpx.get(f"{url}/it-1").json()
    assert (item["input"], item["expectedOutput"], item["status"]) == (
        {"input": "x"},
        None,
        "ACTIVE",
    )
    assert item["datasetId"] == _get(collector, f"/v2/datasets/{dataset}").json()["id"]

    deleted = httpx.delete(f"{url}/it-1")
    assert deleted.status_code == 200 and deleted.json() == {
        "message": "Dataset item successfully deleted"
    }
    assert httpx.get(f"{url}/it-1").status_code == 404
    assert _records(collector, dataset) == {}


def test_spanwise_records_read_as_langfuse_items(collector, dataset):
    """A record made through Spanwise's API: its expectations, whatever their names, are
    the expected output; its inputs the input."""
    httpx.post(f"{collector.http_url}/api/v1/datasets/{dataset}/records", json={"records": [
        {"record_id": "native", "inputs": {"q": "2+2"}, "expectations": {"answer": "4"}}]})  # fmt: skip
    [item] = _get(collector, "/dataset-items", datasetName=dataset).json()["data"]
    assert (item["id"], item["input"], item["expectedOutput"], item["metadata"]) == (
        "native", {"q": "2+2"}, {"answer": "4"}, None,
    )  # fmt: skip


def test_creating_a_dataset_again_changes_it(collector, dataset):
    again = _post(collector, "/v2/datasets",
                  {"name": dataset, "description": "now described", "metadata": [1, "two"]})  # fmt: skip
    assert again.status_code == 200
    got = _get(collector, f"/v2/datasets/{dataset}").json()
    assert (got["description"], got["metadata"]) == ("now described", [1, "two"])
    assert _post(collector, "/v2/datasets", {"name": dataset}).json()["metadata"] == [1, "two"]


def test_a_locked_collector_serves_datasets_to_the_langfuse_secret_key(tmp_path):
    from tests.support.collector import CollectorProcess

    key = "sk-lf-0123456789abcdef"
    with CollectorProcess(tmp_path / "data", "--api-key", key) as locked:
        url = f"{locked.http_url}/api/public/v2/datasets"
        assert httpx.post(url, json={"name": "d"}).status_code == 401
        made = httpx.post(url, json={"name": "d"}, auth=("pk-lf-any", key))
        assert made.status_code == 200 and made.json()["name"] == "d"
        assert httpx.get(url, auth=("pk-lf-any", "sk-lf-wrong-key-123")).status_code == 401
