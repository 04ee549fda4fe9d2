"""Evaluation datasets through the real collector: records go over the HTTP API into
chDB, and what the client reads back is what was merged."""

from __future__ import annotations

import uuid

import pytest

from tests.assessments.test_assessments import _http


def _name(prefix: str = "ds") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_create_get_list_and_names_are_unique(client):
    from spanwise import SpanwiseAPIError

    name = _name()
    made = client.create_dataset(name, description="golden answers", tags={"team": "qa"})
    assert made.dataset_id.startswith("d-")
    assert (made.name, made.description, dict(made.tags), made.record_count) == (
        name, "golden answers", {"team": "qa"}, 0,
    )  # fmt: skip
    got = client.get_dataset(name)
    assert got is not None and got.dataset_id == made.dataset_id
    assert name in [d.name for d in client.list_datasets()]
    assert client.get_dataset(_name("missing")) is None

    with pytest.raises(SpanwiseAPIError) as err:
        client.create_dataset(name)
    assert err.value.status == 409 and "exists already" in err.value.message
    assert [d.dataset_id for d in client.list_datasets() if d.name == name] == [made.dataset_id]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "a/b"},
        {"name": " padded"},
        {"name": "x" * 251},
        {"name": "ok", "tags": {"k": 1}},
        {"name": "ok", "owner": "me"},
    ],
)
def test_bad_dataset_bodies_are_refused_and_create_nothing(collector, client, body):
    before = {d.name for d in client.list_datasets()}
    status, answer = _http(collector, "POST", "/api/v1/datasets", body)
    assert status == 400, answer
    assert answer["detail"]
    assert {d.name for d in client.list_datasets()} == before


def test_merging_the_same_inputs_updates_the_record(client):
    name = _name()
    client.create_dataset(name)
    first = client.merge_records(name, [
        {"inputs": {"question": "2+2?"}, "expectations": {"answer": "4"}},
        {"inputs": {"question": "capital of France?"}, "expectations": {"answer": "Paris"},
         "tags": {"topic": "geo"}},
    ])  # fmt: skip
    assert first.record_count == 2
    # The same inputs (keys in another order do not matter): a new expectation merges in.
    again = client.merge_records(name, [
        {"inputs": {"question": "2+2?"}, "expectations": {"style": "terse"}},
    ])  # fmt: skip
    assert again.record_count == 2
    records = client.get_dataset_records(name)
    assert [r.inputs for r in records] == [{"question": "2+2?"}, {"question": "capital of France?"}]
    assert dict(records[0].expectations) == {"answer": "4", "style": "terse"}
    assert dict(records[1].tags) == {"topic": "geo"}
    assert records[0].record_id.startswith("r-") and records[0].record_id != records[1].record_id
    assert records[0].last_update_time_ms >= records[0].create_time_ms > 0

    # Given ids: a record is whatever carries the id, inputs may change.
    client.merge_records(name, [{"record_id": "case-1", "inputs": {"question": "a"}}])
    client.merge_records(name, [{"record_id": "case-1", "inputs": {"question": "b"}}])
    by_id = {r.record_id: r for r in client.get_dataset_records(name)}
    assert len(by_id) == 3 and dict(by_id["case-1"].inputs) == {"question": "b"}


def test_records_from_a_dataframe_and_from_a_trace(sdk, client, fetch_trace):
    import pandas as pd

    name = _name()
    client.create_dataset(name)
    frame = pd.DataFrame([
        {"inputs": {"q": "one"}, "expectations": {"a": 1}},
        {"inputs": {"q": "two"}, "expectations": {"a": 2}},
    ])  # fmt: skip
    assert client.merge_records(name, frame).record_count == 2
    records = client.get_dataset_records(name)
    assert [(dict(r.inputs), dict(r.expectations)) for r in records] == [
        ({"q": "one"}, {"a": 1}), ({"q": "two"}, {"a": 2}),
    ]  # fmt: skip

    ids: dict[str, str] = {}

    @sdk.trace(span_type="AGENT")
    def answer(question: str) -> str:
        ids["trace"] = sdk.get_current_trace_id()
        return "Paris"

    answer("capital of France?")
    sdk.log_expectation(ids["trace"], "answer", "Paris")
    stored = fetch_trace(ids["trace"])
    dataset = client.merge_records(name, [stored])
    assert dataset.record_count == 3
    record = client.get_dataset_records(name)[-1]
    assert dict(record.inputs) == {"question": "capital of France?"}
    assert dict(record.expectations) == {"answer": "Paris"}
    assert record.source_trace_id == ids["trace"]


def test_pages_come_oldest_first_and_tokens_are_checked(collector, client):
    name = _name()
    client.create_dataset(name)
    for chunk in range(3):  # three merges: three creation times
        client.merge_records(name, [{"record_id": f"c{chunk}-{i:02d}", "inputs": {"i": i}}
                                    for i in range(7)])  # fmt: skip
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        path = f"/api/v1/datasets/{name}/records?max_results=5"
        status, page = _http(collector, "GET", path + (f"&page_token={token}" if token else ""))
        assert status == 200, page
        seen += [r["record_id"] for r in page["records"]]
        pages += 1
        token = page["next_page_token"]
        if not token:
            break
    expected = [f"c{c}-{i:02d}" for c in range(3) for i in range(7)]
    assert seen == expected and pages == 5
    assert [r.record_id for r in client.get_dataset_records(name, max_results=8)] == expected[:8]

    status, answer = _http(collector, "GET", f"/api/v1/datasets/{name}/records?page_token=zz!")
    assert status == 400 and "page_token" in answer["detail"]
    status, _ = _http(collector, "GET", f"/api/v1/datasets/{name}/records?max_results=0")
    assert status == 422


def test_deleting_records_and_the_dataset(client):
    name = _name()
    client.create_dataset(name)
    client.merge_records(name, [{"record_id": f"r{i}", "inputs": {"i": i}} for i in range(4)])
    assert client.delete_dataset_records(name, ["r1", "r3", "nope"]) == 2
    assert client.delete_dataset_records(name, ["r1"]) == 0  # already gone
    assert [r.record_id for r in client.get_dataset_records(name)] == ["r0", "r2"]
    assert client.get_dataset(name).record_count == 2
    # Merged again after its deletion, a record comes back as new.
    client.merge_records(name, [{"record_id": "r1", "inputs": {"i": 10}}])
    assert [r.record_id for r in client.get_dataset_records(name)] == ["r0", "r2", "r1"]

    old_id = client.get_dataset(name).dataset_id
    assert client.delete_dataset(name) is True
    assert client.get_dataset(name) is None
    assert client.delete_dataset(name) is False
    assert name not in [d.name for d in client.list_datasets()]
    # The name is free again; the old records do not come back with it.
    fresh = client.create_dataset(name)
    assert fresh.dataset_id != old_id and fresh.record_count == 0
    assert client.get_dataset_records(name) == []


def test_one_record_id_given_as_text_is_that_record(client):
    name = _name()
    client.create_dataset(name)
    ids = ["ab", "a", "b"]
    client.merge_records(name, [{"inputs": {"q": i}, "record_id": i} for i in ids])
    assert client.delete_dataset_records(name, "ab") == 1
    assert sorted(r.record_id for r in client.get_dataset_records(name)) == ["a", "b"]


def test_update_description_and_tags(client):
    name = _name()
    client.create_dataset(name, tags={"team": "qa", "stage": "draft"})
    updated = client.update_dataset(name, description="v2", tags={"stage": "", "owner": "alice"})
    assert updated.description == "v2"
    assert dict(updated.tags) == {"team": "qa", "owner": "alice"}
    assert updated.last_update_time_ms >= updated.create_time_ms
    assert dict(client.get_dataset(name).tags) == {"team": "qa", "owner": "alice"}


@pytest.mark.parametrize(
    "body",
    [
        {"records": []},
        {"records": {"inputs": {}}},
        {"records": [{"expectations": {"a": 1}}]},
        {"records": [{"inputs": "question"}]},
        {"records": [{"inputs": {"q": 1}, "expectations": ["a"]}]},
        {"records": [{"inputs": {"q": 1}, "record_id": "has space"}]},
        {"records": [{"inputs": {"q": 1}, "source_trace_id": "xyz"}]},
        {"records": [{"inputs": {"q": 1}, "color": "red"}]},
        {"records": [{"inputs": {"q": 1}}, {"inputs": {"q": float("nan")}}]},
        {"records": [{"inputs": {"q": i}} for i in range(1001)]},
        {"rows": [{"inputs": {"q": 1}}]},
    ],
)
def test_bad_records_are_refused_and_change_nothing(collector, client, body):
    name = _name()
    client.create_dataset(name)
    client.merge_records(name, [{"record_id": "keep", "inputs": {"q": 0}}])
    status, answer = _http(collector, "POST", f"/api/v1/datasets/{name}/records", body)
    assert status == 400, answer
    assert answer["detail"]
    assert [r.record_id for r in client.get_dataset_records(name)] == ["keep"]


def test_unknown_dataset_is_404_everywhere(collector):
    name = _name("missing")
    for method, path, body in [
        ("GET", f"/api/v1/datasets/{name}", None),
        ("PATCH", f"/api/v1/datasets/{name}", {"description": "x"}),
        ("DELETE", f"/api/v1/datasets/{name}", None),
        ("POST", f"/api/v1/datasets/{name}/records", {"records": [{"inputs": {}}]}),
        ("GET", f"/api/v1/datasets/{name}/records", None),
        ("POST", f"/api/v1/datasets/{name}/records/delete", {"record_ids": ["a"]}),
    ]:
        status, answer = _http(collector, method, path, body)
        assert status == 404, (method, path, answer)
        assert "datasets list" in answer["detail"]


def test_records_from_search_results_read_each_trace_whole(sdk, client, fetch_trace):
    # MLflow's idiom: merge_records(search_traces(...)). A search returns traces without
    # spans (include_spans=False), so the root's inputs must be read from the collector.
    tag = uuid.uuid4().hex[:8]
    ids: list[str] = []

    @sdk.trace(span_type="AGENT")
    def answer(question: str, n: int = 1) -> str:
        sdk.update_current_trace(tags={"batch": tag})
        ids.append(sdk.get_current_trace_id())
        return "Paris"

    answer("capital of France?", n=2)
    answer("capital of Peru?")
    sdk.log_expectation(ids[0], "answer", "Paris")
    fetch_trace(ids[1])

    found = client.search_traces(f"tags.batch = '{tag}'", order_by="trace.timestamp ASC",
                                 project="tests")  # fmt: skip
    assert [t.info.trace_id for t in found] == ids and not found[0].data.spans
    name = _name()
    client.create_dataset(name)
    assert client.merge_records(name, found).record_count == 2
    got = {r.source_trace_id: r for r in client.get_dataset_records(name)}
    assert dict(got[ids[0]].inputs) == {"question": "capital of France?", "n": 2}
    assert dict(got[ids[0]].expectations) == {"answer": "Paris"}
    assert dict(got[ids[1]].inputs) == {"question": "capital of Peru?", "n": 1}

    # The same traces as a DataFrame of trace infos, and as TraceInfos: the same records.
    frame = client.search_traces(f"tags.batch = '{tag}'", project="tests", return_type="pandas")
    assert client.merge_records(name, frame).record_count == 2
    assert client.merge_records(name, [t.info for t in found]).record_count == 2
    assert {r.source_trace_id for r in client.get_dataset_records(name)} == set(ids)
