"""Feedback and expectations on traces, through the real collector: the SDK makes a
trace, the assessment goes over the HTTP API into chDB, and the read side shows it."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request

import pytest


def _traced_answer(sdk, question: str = "2+2?") -> tuple[str, str]:
    """A trace with a root and one child; returns (trace id, the child's span id)."""
    ids: dict[str, str] = {}

    @sdk.trace(span_type="TOOL")
    def calculate(q: str) -> str:
        with sdk.start_span("inner") as span:
            ids["span"] = span.span_id
        return "4"

    @sdk.trace(span_type="AGENT")
    def answer(q: str) -> str:
        ids["trace"] = sdk.get_current_trace_id()
        return calculate(q)

    answer(question)
    return ids["trace"], ids["span"]


def _http(collector, method: str, path: str, body=None) -> tuple[int, dict | None]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        collector.http_url + path, data=data, method=method,
        headers={"content-type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def test_feedback_logged_right_after_the_trace_is_on_the_trace(sdk, client):
    trace_id, _ = _traced_answer(sdk)
    # No flush: the trace may still be in this process's export queue.
    logged = sdk.log_feedback(
        trace_id, "helpful", True,
        source=sdk.AssessmentSource("HUMAN", "user-42"),
        rationale="right answer", metadata={"ui": "thumbs"},
    )  # fmt: skip
    assert logged.assessment_id.startswith("a-")
    assert (logged.trace_id, logged.name, logged.kind, logged.value) == (
        trace_id, "helpful", "feedback", True,
    )  # fmt: skip

    trace = client.get_trace(trace_id)
    (seen,) = trace.info.assessments
    assert seen == logged
    assert seen.source == sdk.AssessmentSource("HUMAN", "user-42")
    assert seen.rationale == "right answer" and seen.metadata == {"ui": "thumbs"}
    assert seen.create_time_ms >= trace.info.start_time_ms
    assert client.get_assessments(trace_id) == [logged]


def test_values_of_every_kind_and_an_expectation_on_a_span(sdk, client):
    trace_id, span_id = _traced_answer(sdk)
    sdk.flush()
    values = [0.75, 3, "good", ["a", "b"], {"label": "x", "score": 1}, False]
    for i, value in enumerate(values):
        client.log_feedback(trace_id, f"v{i}", value, source="LLM_JUDGE")
    expected = client.log_expectation(trace_id, "answer", {"text": "4"}, span_id=span_id)
    judged = client.log_feedback(trace_id, "judge", error=RuntimeError("judge timed out"))

    got = client.get_assessments(trace_id)
    assert [a.value for a in got[: len(values)]] == values
    assert all(a.source.source_type == "LLM_JUDGE" for a in got[: len(values)])
    assert got[-2] == expected and expected.kind == "expectation"
    assert expected.span_id == span_id and expected.value == {"text": "4"}
    assert got[-1].value is None
    assert (judged.error.error_code, judged.error.error_message) == (
        "RuntimeError", "judge timed out",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"value": 1}, "name is required"),
        ({"name": "  ", "value": 1}, "name is required"),
        ({"name": "x"}, "value is required"),
        ({"name": "x", "value": 1, "kind": "score"}, "kind must be one of"),
        ({"name": "x", "value": 1, "source": {"source_type": "ROBOT"}}, "source_type must be"),
        ({"name": "x", "value": 1, "metadata": {"k": 1}}, "metadata['k'] must be a string"),
        ({"name": "x", "value": 1, "colour": "red"}, "unknown field(s): colour"),
        ({"name": "x", "value": 1, "span_id": "xyz"}, "span_id must be 16 hexadecimal"),
        ({"name": "x", "value": 1, "span_id": "0" * 16}, "has no span with id"),
        ({"name": "x", "kind": "expectation", "error": {"error_message": "e"}}, "only feedback"),
        ({"name": "x" * 251, "value": 1}, "name is longer than 250"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_bad_assessments_are_refused_and_change_nothing(sdk, client, collector, body, message):
    trace_id, _ = _traced_answer(sdk)
    sdk.flush()
    kept = client.log_feedback(trace_id, "kept", 1)
    status, reply = _http(collector, "POST", f"/api/v1/traces/{trace_id}/assessments", body)
    assert status == 400, reply
    assert message in reply["detail"]
    assert client.get_assessments(trace_id) == [kept]


def test_non_finite_values_are_refused(sdk, client):
    trace_id, _ = _traced_answer(sdk)
    sdk.flush()
    for value, message in ((math.nan, "finite number"), ([1.0, math.inf], "no NaN or infinity")):
        with pytest.raises(sdk.SpanwiseAPIError) as err:
            client.log_feedback(trace_id, "score", value)
        assert err.value.status == 400 and message in err.value.message
    assert client.get_assessments(trace_id) == []


def test_numpy_and_decimal_values_are_logged_as_their_json(sdk, client):
    # A score computed with numpy or pandas, a cost (Decimal): json cannot write them.
    from decimal import Decimal

    import numpy as np

    trace_id, _ = _traced_answer(sdk)
    values = [np.bool_(False), np.int64(3), Decimal("0.25"), np.array([1.5, 2.0]),
              {"chars": np.int64(7)}]  # fmt: skip
    logged = [client.log_feedback(trace_id, f"n{i}", v) for i, v in enumerate(values)]
    client.log_expectation(trace_id, "count", np.int32(4))
    expected = [False, 3, 0.25, [1.5, 2.0], {"chars": 7}]
    assert [a.value for a in logged] == expected
    got = {a.name: a.value for a in client.get_assessments(trace_id)}
    assert got == {**{f"n{i}": v for i, v in enumerate(expected)}, "count": 4}
    assert got["n0"] is False


def test_an_unknown_trace_is_a_clear_404(sdk, client):
    with pytest.raises(sdk.SpanwiseAPIError) as err:
        client.log_feedback("f" * 32, "helpful", True)
    assert err.value.status == 404 and "no trace with id" in err.value.message
    # its spans leave when they end
    with sdk.start_span("still running") as span, pytest.raises(sdk.SpanwiseAPIError) as err:
        client.log_feedback(span.trace_id, "helpful", True)
    assert err.value.status == 404 and "after the traced call returned" in err.value.message
    with pytest.raises(sdk.SpanwiseAPIError) as err:
        client.log_feedback("not-a-trace", "helpful", True)
    assert err.value.status == 400 and "32 hexadecimal" in err.value.message
    with pytest.raises(sdk.SpanwiseAPIError) as err:
        client.get_assessments("f" * 32)
    assert err.value.status == 404


def test_update_and_delete(sdk, client, collector):
    trace_id, _ = _traced_answer(sdk)
    sdk.flush()
    failed = client.log_feedback(trace_id, "quality", error="judge unavailable",
                                 metadata={"judge": "gpt-4o", "run": "1"})  # fmt: skip
    other = client.log_feedback(trace_id, "tone", "polite")

    fixed = client.update_assessment(trace_id, failed.assessment_id, value=0.5,
                                     rationale="rescored", metadata={"run": "2"})  # fmt: skip
    assert (fixed.value, fixed.error, fixed.rationale) == (0.5, None, "rescored")
    assert fixed.metadata == {"judge": "gpt-4o", "run": "2"}
    assert fixed.create_time_ms == failed.create_time_ms
    assert fixed.last_update_time_ms >= failed.last_update_time_ms
    assert client.get_assessments(trace_id) == [fixed, other]

    status, reply = _http(collector, "PATCH",
                          f"/api/v1/traces/{trace_id}/assessments/{other.assessment_id}",
                          {"name": "renamed"})  # fmt: skip
    assert status == 400 and "unknown field(s): name" in reply["detail"]

    client.delete_assessment(trace_id, failed.assessment_id)
    assert client.get_assessments(trace_id) == [other]
    assert client.get_trace(trace_id).info.assessments == (other,)
    with pytest.raises(sdk.SpanwiseAPIError) as err:
        client.delete_assessment(trace_id, failed.assessment_id)
    assert err.value.status == 404
    with pytest.raises(sdk.SpanwiseAPIError) as err:
        client.update_assessment(trace_id, failed.assessment_id, value=1)
    assert err.value.status == 404


def test_traces_are_found_by_their_feedback(sdk, client):
    import uuid

    case = uuid.uuid4().hex

    @sdk.trace(span_type="AGENT")
    def answer(q: str) -> str:
        sdk.update_current_trace(tags={"case": case})
        return "ok"

    for name in "abc":
        answer(name)
    sdk.flush()
    found = client.search_traces(f"tags.case = '{case}'", order_by=["trace.timestamp ASC"])
    a, b, c = (t.info.trace_id for t in found)

    helpful_a = client.log_feedback(a, "helpful", True)
    client.log_feedback(a, "score", 0.9)
    client.log_feedback(b, "helpful", False)
    client.log_feedback(b, "score", 0.2)
    client.log_feedback(b, "score", 0.95)  # the newest rating counts
    client.log_expectation(c, "score", 1.0)  # an expectation is not feedback

    def search(expr: str, spans: bool = False) -> set[str]:
        text = f"tags.case = '{case}' AND ({expr})"
        if spans:
            return {s.trace_id for s in client.search_spans(text)}
        return {t.info.trace_id for t in client.search_traces(text)}

    assert search("feedback.helpful = 'true'") == {a}
    assert search("feedback.score > 0.5") == {a, b}
    assert search("feedback.score < 0.5") == set()
    assert search("feedback.helpful IS NULL") == {c}
    assert search("NOT feedback.helpful = 'true'") == {b, c}
    assert search("feedback.score > 0.5", spans=True) == {a, b}

    # per value of the feedback: how many traces, what they cost (None: no feedback)
    grouped = client.analytics(group_by="feedback:helpful", metrics=["count"], level="trace",
                               filter_string=f"tags.case = '{case}'", since="1d")  # fmt: skip
    assert {r.key["feedback:helpful"]: r.count for r in grouped.rows} == {
        "true": 1, "false": 1, "": 1,
    }  # fmt: skip
    with pytest.raises(sdk.SpanwiseAPIError) as err:
        client.analytics(group_by="feedback:helpful", level="span")
    assert err.value.status == 400 and "needs level=trace" in err.value.message

    # the mean rating, true = 1 and false = 0, newest value per trace (c has none)
    means = client.analytics(
        group_by="trace_name", metrics=["count", "feedback_avg:score", "feedback_avg:helpful"],
        level="trace", filter_string=f"tags.case = '{case}'", since="1d",
    )  # fmt: skip
    (row,) = means.rows
    assert row.count == 3
    assert row.feedback_avg["score"] == pytest.approx((0.9 + 0.95) / 2)
    assert row.feedback_avg == {"score": row.feedback_avg["score"], "helpful": 0.5}
    per_rating = client.analytics(group_by="feedback:helpful", metrics=["feedback_avg:score"],
                                  level="trace", filter_string=f"tags.case = '{case}'")  # fmt: skip
    assert {r.key["feedback:helpful"]: r.feedback_avg["score"] for r in per_rating.rows} == {
        "true": pytest.approx(0.9), "false": pytest.approx(0.95), "": None,
    }  # fmt: skip
    for metrics, says in [
        (["feedback_avg:score"], "needs level=trace"),
        (["feedback_avg:"], "unknown metrics"),
        (["count", "count"], "twice"),
    ]:
        level = "span" if says == "needs level=trace" else "trace"
        with pytest.raises(sdk.SpanwiseAPIError) as err:
            client.analytics(metrics=metrics, level=level)
        assert err.value.status == 400 and says in err.value.message

    client.delete_assessment(a, helpful_a.assessment_id)
    assert search("feedback.helpful = 'true'") == set()
    assert search("feedback.helpful IS NOT NULL") == {b}


def test_an_acknowledged_assessment_survives_a_killed_collector(sdk, tmp_path):
    import time

    from tests.support.collector import CollectorProcess

    store = tmp_path / "store"
    # A collector whose local time is not UTC: times are epoch milliseconds all the same.
    zone = {"TZ": "Asia/Kolkata"}
    first = CollectorProcess(store, env=zone).start()
    try:
        sdk.configure(endpoint=first.grpc_endpoint, project="tests")
        trace_id, _ = _traced_answer(sdk)
        assert sdk.flush(30)
        logged = sdk.Client(first.http_url).log_feedback(trace_id, "helpful", True)
    finally:
        first.kill()  # SIGKILL right after the answer: no shutdown, no flush
    assert abs(logged.create_time_ms - time.time() * 1000) < 60_000
    with CollectorProcess(store, env=zone) as second:
        client = sdk.Client(second.http_url)
        assert client.get_assessments(trace_id) == [logged]
        changed = client.update_assessment(trace_id, logged.assessment_id, value=False)
        assert changed.create_time_ms == logged.create_time_ms
        assert 0 <= changed.last_update_time_ms - logged.create_time_ms < 60_000
        assert client.get_assessments(trace_id) == [changed]


def test_whole_traces_from_a_search_carry_their_assessments(sdk, client):
    trace_id, _ = _traced_answer(sdk)
    sdk.flush()
    logged = client.log_feedback(trace_id, "helpful", True)
    text = f"trace.id = '{trace_id}'"
    (whole,) = client.search_traces(text, include_spans=True)
    assert whole.info.assessments == (logged,)
    (light,) = client.search_traces(text)  # infos only: no extra query per page
    assert light.info.assessments == ()
