"""POST /api/v1/assessments: many assessments of several traces in one request, all or
nothing (what evaluations use: one request per 1,000 scores)."""

from __future__ import annotations

import pytest

from tests.assessments.test_assessments import _http, _traced_answer


def test_a_batch_lands_on_each_trace_in_order(sdk, client):
    (first, span), (second, _) = _traced_answer(sdk), _traced_answer(sdk, "3+3?")
    assert sdk.flush(30)
    logged = client.log_assessments([
        {"trace_id": first, "kind": "expectation", "name": "answer", "value": "4"},
        {"trace_id": first, "kind": "feedback", "name": "exact", "value": True,
         "source": {"source_type": "CODE", "source_id": "exact"}, "span_id": span},
        {"trace_id": second, "kind": "feedback", "name": "exact", "value": False,
         "rationale": "said 7"},
        {"trace_id": second, "kind": "feedback", "name": "judge",
         "error": {"error_code": "Timeout", "error_message": "no answer"}},
    ])  # fmt: skip
    assert [(a.trace_id, a.name, a.value) for a in logged] == [
        (first, "answer", "4"), (first, "exact", True), (second, "exact", False),
        (second, "judge", None),
    ]  # fmt: skip
    one = client.get_trace(first).info.assessments
    assert [(a.kind, a.name, a.span_id) for a in one] == [
        ("expectation", "answer", None), ("feedback", "exact", span),
    ]  # fmt: skip
    two = {a.name: a for a in client.get_trace(second).info.assessments}
    assert two["exact"].rationale == "said 7" and two["judge"].error.error_code == "Timeout"
    found = client.search_traces("feedback.exact = 'false'", max_results=1000)
    assert second in {t.info.trace_id for t in found}


@pytest.mark.parametrize(
    ("item", "status", "words"),
    [
        ({"trace_id": "0" * 32, "name": "x", "value": 1}, 404, "assessments[1]: no trace"),
        ({"name": "x", "value": 1}, 400, "assessments[1]: trace_id"),
        ({"trace_id": "nothex", "name": "x", "value": 1}, 400, "32 hexadecimal"),
        ({"trace_id": "TRACE", "name": "x", "value": 1, "span_id": "0" * 16}, 400, "has no span"),
        ({"trace_id": "TRACE", "name": "", "value": 1}, 400, "assessments[1]: name"),
        ({"trace_id": "TRACE", "name": "x"}, 400, "assessments[1]: value is required"),
    ],
)
def test_one_bad_item_refuses_the_whole_batch(sdk, client, collector, item, status, words):
    trace_id, _ = _traced_answer(sdk)
    assert sdk.flush(30)
    good = {"trace_id": trace_id, "name": "kept-out", "value": 1}
    item = {k: (trace_id if v == "TRACE" else v) for k, v in item.items()}
    got, answer = _http(collector, "POST", "/api/v1/assessments", {"assessments": [good, item]})
    assert got == status and words in answer["detail"], answer
    assert client.get_trace(trace_id).info.assessments == ()


def test_batch_limits(collector):
    for body in ({"assessments": []}, {"assessments": {}}, {"items": []},
                 {"assessments": [{"trace_id": "0" * 32, "name": "x", "value": 1}] * 1001}):  # fmt: skip
        got, answer = _http(collector, "POST", "/api/v1/assessments", body)
        assert got == 400 and answer["detail"], body if len(str(body)) < 200 else "1001 items"
