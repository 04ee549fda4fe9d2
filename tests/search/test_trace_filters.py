"""Every field and operator of the trace search, against the known dataset: exact sets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.search.conftest import call

ALL = {"t1", "t2", "t3", "t4", "t5"}
CASES = [
    ("", ALL),
    ("trace.id = '{t1}'", {"t1"}),
    ("trace.id IN ('{t1}', '{t4}')", {"t1", "t4"}),
    ("trace.name = 'checkout'", {"t1", "t2"}),
    ("trace.name != 'checkout'", {"t3", "t4", "t5"}),
    ("trace.name LIKE 'che%'", {"t1", "t2"}),
    ("trace.name ILIKE 'CH%'", {"t1", "t2", "t5"}),
    ("trace.name NOT LIKE 'ch%'", {"t3", "t4"}),
    ("trace.name NOT ILIKE 'S%'", {"t1", "t2", "t5"}),
    ("trace.name IN ('search', 'chat')", {"t3", "t4", "t5"}),
    ("trace.name NOT IN ('search')", {"t1", "t2", "t5"}),
    ("trace.status = 'ERROR'", {"t2"}),
    ("trace.status = 'ok'", {"t1", "t3", "t4", "t5"}),
    ("trace.status != 'OK'", {"t2"}),
    ("trace.timestamp >= '{iso_plus_60s}'", {"t2", "t3", "t4", "t5"}),
    ("trace.timestamp < {ms_plus_120s}", {"t1", "t2"}),
    ("trace.timestamp <= {ms_plus_120s}", {"t1", "t2", "t3"}),
    ("trace.duration_ms > 400", {"t1", "t2"}),
    # MLflow's names for the same fields (its search_traces filters work unchanged)
    ("attributes.status = 'ERROR'", {"t2"}),
    ("status != 'OK'", {"t2"}),
    ("trace.timestamp_ms < {ms_plus_120s}", {"t1", "t2"}),
    ("attributes.timestamp_ms <= {ms_plus_120s}", {"t1", "t2", "t3"}),
    ("execution_time_ms > 400", {"t1", "t2"}),
    ("attributes.execution_time_ms <= 40", {"t4", "t5"}),
    ("request_metadata.version = '1'", {"t1"}),
    ("name = 'search'", {"t3", "t4"}),
    ("attributes.name != 'search'", {"t1", "t2", "t5"}),
    ("tag.env = 'prod'", {"t1", "t3"}),
    ("trace.duration_ms <= 40", {"t4", "t5"}),
    ("trace.cost > 0.004", {"t1"}),
    ("trace.cost > 0.001", {"t1", "t2"}),
    ("trace.cost > 0", {"t1", "t2", "t3"}),
    ("trace.cost IS NULL", {"t4", "t5"}),
    ("trace.cost IS NOT NULL", {"t1", "t2", "t3"}),
    ("trace.input_tokens >= 500", {"t1", "t2"}),
    ("trace.input_tokens = 10", {"t4"}),
    ("trace.output_tokens < 60", {"t3", "t4", "t5"}),
    ("trace.session_id = '{project}-s1'", {"t1", "t2"}),
    ("trace.session_id IS NULL", {"t4"}),
    ("trace.user_id IN ('bob')", {"t3", "t5"}),
    ("trace.user_id != 'alice'", {"t3", "t5"}),
    ("trace.run_id IS NULL", ALL),
    ("trace.run_id = 'x'", set()),
    ("tags.env = 'prod'", {"t1", "t3"}),
    ("tags.env != 'prod'", {"t2"}),
    ("tags.env IS NULL", {"t4", "t5"}),
    ("tags.env IS NOT NULL", {"t1", "t2", "t3"}),
    ("tags.team = 'a'", {"t3"}),
    ("NOT tags.env = 'prod'", {"t2", "t4", "t5"}),
    ("metadata.version = '1'", {"t1"}),
    ("metadata.version > 1", {"t5"}),
    # span fields: "some span of the trace"
    ("span.name = 'lookup'", {"t2"}),
    ("span.type = 'tool'", {"t2"}),
    ("span.type IN ('RETRIEVER', 'TOOL')", {"t2", "t5"}),
    ("span.status = 'ERROR'", {"t2"}),
    ("span.model = 'gpt-4o'", {"t1"}),
    ("span.model LIKE 'gpt-4o%'", {"t1", "t3"}),
    ("span.model IS NOT NULL", {"t1", "t2", "t3", "t4"}),
    ("NOT span.model IS NOT NULL", {"t5"}),
    ("span.provider = 'openai'", {"t1", "t3"}),
    ("span.provider IN ('anthropic', 'local')", {"t2", "t4"}),
    ("span.cost > 0.004", {"t1"}),
    ("span.cost IS NOT NULL", {"t1", "t2", "t3"}),
    ("span.duration_ms >= 900", {"t1"}),
    ("span.duration_ms < 25", {"t5"}),
    ("span.attributes.`gen_ai.request.temperature` > 0.5", {"t3"}),
    ("span.attributes.gen_ai.request.temperature < 0.5", {"t1"}),
    ("span.attributes.`gen_ai.request.temperature` IS NOT NULL", {"t1", "t3"}),
    ("trace.text = 'refund'", {"t1", "t3"}),
    ("trace.text = 'REFUND MY'", {"t1"}),
    ("trace.text = '100%'", {"t1"}),
    ("trace.text = 'my_order'", set()),  # _ is literal, not a wildcard
    ("trace.text = 's_h'", {"t3"}),
    ("trace.text LIKE '%parcel%'", {"t2"}),
    ("NOT trace.text = 'refund'", {"t2", "t4", "t5"}),
    # precedence: NOT > AND > OR, parentheses
    ("trace.name = 'search' OR trace.name = 'chat' AND tags.env = 'prod'", {"t3", "t4"}),
    ("(trace.name = 'search' OR trace.name = 'chat') AND tags.env = 'prod'", {"t3"}),
    ("NOT trace.name = 'checkout' AND span.model IS NOT NULL", {"t3", "t4"}),
    ("NOT (trace.name = 'checkout' OR span.type = 'RETRIEVER')", {"t3", "t4"}),
    ("trace.status = 'ERROR' OR NOT (tags.env IS NULL OR tags.team = 'a')", {"t1", "t2"}),
    # sibling span predicates describe ONE span
    ("span.model = 'gpt-4o' AND span.cost > 0.004", {"t1"}),
    ("span.type = 'LLM' AND span.duration_ms >= 1000", set()),
    ("span.type = 'LLM' AND trace.duration_ms >= 1000", {"t1"}),
]


def _fill(text: str, ds) -> str:
    plus60 = datetime.fromtimestamp((ds.base_ns + 60 * 10**9) / 1e9, tz=UTC)
    return text.format(
        **ds.ids,
        project=ds.project,
        iso_plus_60s=plus60.isoformat(),
        ms_plus_120s=(ds.base_ns + 120 * 10**9) // 10**6,
    )


def search(ds, filter_text: str, **extra) -> list[str]:
    body = {"filter": filter_text, "project": ds.project, "max_results": 100, **extra}
    status, payload = call(ds.http_url, "POST", "/api/v1/traces/search", body)
    assert status == 200, payload
    return [t["info"]["trace_id"] for t in payload["traces"]]


@pytest.mark.parametrize(("filter_text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_trace_filter(dataset, filter_text, expected):
    assert dataset.names(search(dataset, _fill(filter_text, dataset))) == expected


def test_time_window_and_project(dataset):
    at = dataset.base_ns // 10**6
    got = search(dataset, "", since=str(at + 60_000), until=str(at + 180_000))
    assert dataset.names(got) == {"t2", "t3"}
    assert dataset.names(search(dataset, "", since="1d")) == ALL
    assert search(dataset, "", since="1m") == []
    body = {"filter": "trace.name = 'checkout'", "project": "no-such-project"}
    assert call(dataset.http_url, "POST", "/api/v1/traces/search", body)[1]["traces"] == []


def test_order_by_and_fields(dataset):
    by_cost = search(dataset, "", order_by=["trace.cost DESC"])
    assert [dataset.names([t]).pop() for t in by_cost[:3]] == ["t1", "t2", "t3"]
    by_duration = search(dataset, "", order_by=["trace.duration_ms ASC"])
    assert [dataset.names([t]).pop() for t in by_duration] == ["t5", "t4", "t3", "t2", "t1"]
    newest = search(dataset, "")
    assert [dataset.names([t]).pop() for t in newest] == ["t5", "t4", "t3", "t2", "t1"]
    body = {"project": dataset.project, "fields": ["cost", "tags"], "filter": "tags.team = 'a'"}
    _, payload = call(dataset.http_url, "POST", "/api/v1/traces/search", body)
    [info] = [t["info"] for t in payload["traces"]]
    assert set(info) == {"trace_id", "cost", "tags"} and info["tags"] == {
        "env": "prod",
        "team": "a",
    }


@pytest.mark.parametrize(
    ("filter_text", "position"),
    [("span.model = ", 13), ("trace.nope = 1", 0), ("trace.cost > 'abc'", 11),
     ("trace.status = 'MAYBE'", 13), ("(trace.name = 'a'", 17)],
)  # fmt: skip
def test_bad_filters_are_400_with_position(dataset, filter_text, position):
    status, body = call(dataset.http_url, "POST", "/api/v1/traces/search", {"filter": filter_text})
    assert status == 400
    assert body["position"] == position and body["detail"]


def test_bad_order_by_page_token_and_fields_are_400(dataset):
    for body in ({"order_by": ["trace.text DESC"]}, {"order_by": ["nope"]},
                 {"page_token": "garbage"}, {"fields": ["nope"]}, {"since": "yesterday"},
                 {"since": "99999999999999999999"}, {"since": "2d", "until": "3d"}):  # fmt: skip
        status, payload = call(dataset.http_url, "POST", "/api/v1/traces/search", body)
        assert status == 400, (body, payload)
