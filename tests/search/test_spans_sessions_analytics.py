"""Span search, sessions and analytics against the known dataset; analytics totals are
recomputed in Python from the spans and traces the API returns."""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal

import pytest
import spanwise

from tests.search.conftest import call


def spans(ds, filter_text="", **extra):
    body = {"filter": filter_text, "project": ds.project, "max_results": 1000, **extra}
    status, payload = call(ds.http_url, "POST", "/api/v1/spans/search", body)
    assert status == 200, payload
    return payload["spans"]


def test_span_search_filters_and_order(dataset):
    got = spans(dataset, "span.type = 'LLM' AND span.provider = 'openai'")
    assert {(s["model"], dataset.names([s["trace_id"]]).pop()) for s in got} == {
        ("gpt-4o", "t1"), ("gpt-4o-mini", "t3")}  # fmt: skip
    got = spans(dataset, "trace.user_id = 'bob' AND span.type = 'LLM'")
    assert [dataset.names([s["trace_id"]]).pop() for s in got] == ["t3"]
    got = spans(dataset, "tags.env = 'prod'")
    assert sorted(dataset.names([s["trace_id"]]) and s["name"] for s in got) == sorted(
        ["checkout", "chat", "search", "chat"])  # fmt: skip
    by_cost = spans(dataset, "span.cost IS NOT NULL", order_by=["span.cost DESC"])
    costs = [Decimal(s["cost"]) for s in by_cost]
    assert costs == sorted(costs, reverse=True) and len(costs) == 3
    assert spans(dataset, "trace.text = 'parcel'")[0]["name"] == "checkout"
    assert spans(dataset, "span.status = 'ERROR' AND span.type = 'TOOL'")[0]["name"] == "lookup"
    only = spans(dataset, "span.name = 'lookup'", fields=["status", "duration_ms"])[0]
    assert set(only) == {"trace_id", "span_id", "status", "duration_ms"}
    assert only == {**only, "status": "ERROR", "duration_ms": 50.0}


def test_span_pages_in_a_custom_order(dataset):
    seen, token = [], None
    while True:
        body = {"project": dataset.project, "max_results": 3, "order_by": ["span.duration_ms ASC"],
                "page_token": token}  # fmt: skip
        _, page = call(dataset.http_url, "POST", "/api/v1/spans/search", body)
        seen += [s["duration_ms"] for s in page["spans"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert len(seen) == 11 and seen == sorted(seen)


def test_sessions(dataset):
    _, listed = call(dataset.http_url, "GET", f"/api/v1/sessions?project={dataset.project}")
    by_id = {s["session_id"].rsplit("-", 1)[1]: s for s in listed["sessions"]}
    assert list(by_id) == ["s2", "s1"]  # newest first
    assert by_id["s1"]["trace_count"] == 2 and by_id["s1"]["error_count"] == 1
    assert by_id["s1"]["user_id"] == "alice" and by_id["s2"]["input_tokens"] == 100
    client = spanwise.Client(dataset.http_url)
    session = client.get_session(dataset.sid("s1"))
    assert [dataset.names([t.info.trace_id]).pop() for t in session.traces] == ["t1", "t2"]
    infos = [t.info for t in session.traces]
    assert session.info.cost == sum((i.cost for i in infos), Decimal(0))
    assert session.info.input_tokens == 1500 and session.info.output_tokens == 300
    assert session.info.first_time_ms == infos[0].start_time_ms
    assert client.get_session("no-such-session") is None
    page = client.list_sessions(project=dataset.project, max_results=1)
    assert [s.session_id for s in page] == [dataset.sid("s2")] and page.token
    page2 = client.list_sessions(project=dataset.project, max_results=1, page_token=page.token)
    assert [s.session_id for s in page2] == [dataset.sid("s1")] and page2.token is None
    filtered = client.list_sessions("tags.env = 'prod'", project=dataset.project)
    assert {s.session_id: s.trace_count for s in filtered} == {
        dataset.sid("s1"): 1, dataset.sid("s2"): 1}  # fmt: skip


def _quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (R7, ClickHouse's ...ExactInclusive)."""
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo = math.floor(h)
    return xs[lo] if lo + 1 >= len(xs) else xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])


def test_span_analytics_match_python_totals(dataset):
    client = spanwise.Client(dataset.http_url)
    rows = client.search_spans(project=dataset.project, max_results=1000)
    expected: dict[tuple, list] = defaultdict(list)
    for s in rows:
        expected[(s.model or "",)].append(s)
    result = client.analytics(group_by=["model"], project=dataset.project, since="1d")
    assert {r.key["model"] for r in result.rows} == {k[0] for k in expected}
    for row in result.rows:
        group = expected[(row.key["model"],)]
        assert row.count == len(group)
        priced = [s.cost for s in group if s.cost is not None]
        assert row.cost == (sum(priced, Decimal(0)) if priced else None)
        assert row.input_tokens == sum(s.input_tokens or 0 for s in group)
        assert row.error_count == sum(s.status == "ERROR" for s in group)
        assert row.error_rate == pytest.approx(row.error_count / len(group))
        durations = [s.duration_ms for s in group]
        for name, q in (("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99)):
            assert getattr(row, name) == pytest.approx(_quantile(durations, q), rel=1e-9)


def test_trace_analytics_by_tag_user_day(dataset):
    client = spanwise.Client(dataset.http_url)
    traces = client.search_traces(project=dataset.project, max_results=1000)
    result = client.analytics(group_by=["tag:env", "user"], level="trace", project=dataset.project)
    got = {(r.key["tag:env"], r.key["user"]): r for r in result.rows}
    want: dict[tuple, list] = defaultdict(list)
    for t in traces:
        want[(t.info.tags.get("env", ""), t.info.user_id or "")].append(t.info)
    assert set(got) == set(want)
    for key, infos in want.items():
        row = got[key]
        assert row.count == len(infos)
        costs = [i.cost for i in infos if i.cost is not None]
        assert row.cost == (sum(costs, Decimal(0)) if costs else None)
        assert row.output_tokens == sum(i.output_tokens for i in infos)
        assert row.p50_ms == pytest.approx(_quantile([i.duration_ms for i in infos], 0.5))
    by_day = client.analytics(group_by=["day", "model"], metrics=["count", "cost"],
                              project=dataset.project, filter_string="span.type = 'LLM'")  # fmt: skip
    assert sum(r.count for r in by_day.rows) == 4
    assert by_day.to_pandas().columns.tolist() == ["day", "model", "count", "cost"]
    hourly = client.analytics(group_by=["hour", "trace_name"], level="trace",
                              project=dataset.project)  # fmt: skip
    assert sum(r.count for r in hourly.rows) == 5
    assert all(r.key["hour"].endswith(":00:00Z") for r in hourly.rows)


@pytest.mark.parametrize(
    "body",
    [{"group_by": ["model"], "level": "trace"}, {"group_by": ["nope"]},
     {"group_by": ["day", "day"]}, {"metrics": ["nope"]}, {"filter": "span.cost >"},
     {"level": "weird"}, {"group_by": ["tag:"]}],
)  # fmt: skip
def test_bad_analytics_requests_are_4xx(dataset, body):
    status, _ = call(dataset.http_url, "POST", "/api/v1/analytics", body)
    assert status in (400, 422)


def test_a_session_id_with_a_slash(sdk, client):
    import uuid

    session = f"team/{uuid.uuid4().hex[:8]}/chat"
    with sdk.start_span("turn") as span:
        sdk.update_current_trace(session_id=session)
    assert sdk.flush(30)
    found = client.get_session(session)
    assert found is not None and [t.info.trace_id for t in found.traces] == [span.trace_id]
