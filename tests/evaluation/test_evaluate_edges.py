"""``spanwise.evaluate`` on what users hand it that the collector would refuse, and on
async apps from inside an event loop; through the real collector. Each of these used to
lose the whole evaluation (one refused assessment refuses the batch) or every answer."""

from __future__ import annotations

import asyncio
import uuid

import pytest

CASES = [
    {"inputs": {"q": "a"}, "expectations": {"answer": "A"}},
    {"inputs": {"q": "b"}, "expectations": {"answer": "B"}},
]


def upper(q: str) -> str:
    return q.upper()


def exact(outputs, expectations) -> bool:
    return outputs == expectations["answer"]


def _assessments(client, trace_id: str, kind: str) -> dict:
    return {a.name: a for a in client.get_trace(trace_id).info.assessments if a.kind == kind}


def test_a_score_the_collector_would_refuse_fails_that_scorer_only(sdk, client):
    def nan(outputs) -> float:
        return float("nan")

    def a_set(outputs):
        return {outputs}

    def huge(outputs) -> str:
        return outputs * 70_000

    def long_rationale(outputs):
        return sdk.Feedback(True, rationale="x" * 70_000, metadata={"n": 3})

    result = sdk.evaluate(CASES, upper, [nan, a_set, huge, long_rationale, exact])

    assert client.get_run(result.run_id).info.status == "FINISHED"
    assert result.metrics == {"long_rationale/mean": 1.0, "exact/mean": 1.0,
                              "evaluation/error_count": 0.0}  # fmt: skip
    row = result.rows[0]
    assert set(row.score_errors) == {"nan", "a_set", "huge"}
    assert "not a score" in row.score_errors["a_set"]
    feedback = _assessments(client, row.trace_id, "feedback")
    assert feedback["exact"].value is True
    assert feedback["nan"].value is None and feedback["nan"].error.error_code == "TypeError"
    assert len(feedback["long_rationale"].rationale) == 65_536
    assert feedback["long_rationale"].metadata == {"n": "3"}


def test_missing_expectations_and_record_ids_in_a_dataframe(sdk, client):
    import pandas as pd

    frame = pd.DataFrame([
        {"inputs": {"q": "a"}},
        {"inputs": {"q": "b"}, "expectations": {"answer": "B", "note": None}, "record_id": "r-b"},
    ])  # fmt: skip
    result = sdk.evaluate(frame, upper, [])
    assert [r.record_id for r in result.rows] == ["0", "r-b"]
    assert [r.expectations for r in result.rows] == [{}, {"answer": "B", "note": None}]
    logged = _assessments(client, result.rows[1].trace_id, "expectation")
    assert {n: a.value for n, a in logged.items()} == {"answer": "B"}  # None: nothing expected
    assert _assessments(client, result.rows[0].trace_id, "expectation") == {}


def test_numpy_and_decimal_scores_are_numbers_and_bools(sdk, client):
    # `np.mean(...) > 0.5` is a numpy bool, a trace's cost a Decimal, a DataFrame's
    # numbers numpy's: each is a score (and an expectation) like its Python value.
    from decimal import Decimal

    import numpy as np

    def passed(outputs):
        return np.float64(0.75) > 0.5

    def cost(trace):
        return Decimal("0.0012")

    def counts(outputs):
        return {"chars": np.int64(len(outputs)), "by_char": np.array([1, 1])}

    cases = [{"inputs": {"q": "a"}, "expectations": {"answer": "A", "n": np.int64(1),
                                                     "ok": np.bool_(True)}}]  # fmt: skip
    result = sdk.evaluate(cases, upper, [passed, cost, counts])

    row = result.rows[0]
    assert row.score_errors == {}
    assert row.scores == {"passed": True, "cost": 0.0012,
                          "counts": {"chars": 1, "by_char": [1, 1]}}  # fmt: skip
    assert result.metrics == {"passed/mean": 1.0, "cost/mean": 0.0012,
                              "evaluation/error_count": 0.0}  # fmt: skip
    feedback = _assessments(client, row.trace_id, "feedback")
    assert feedback["passed"].value is True and feedback["cost"].value == 0.0012
    assert feedback["counts"].value == {"chars": 1, "by_char": [1, 1]}
    expected = _assessments(client, row.trace_id, "expectation")
    assert {k: a.value for k, a in expected.items()} == {"answer": "A", "n": 1, "ok": True}


def test_an_evaluation_keeps_every_record_trace_whatever_the_sample_rate(sdk, client):
    # An app configured to sample its traces (production) still gets every record traced
    # and scored: evaluate used to run the app on every record, then fail with a 404 (or,
    # for a traced app, silently log no scores).
    @sdk.trace
    def traced(q: str) -> str:
        with sdk.start_span("step"):
            return q.upper()

    @sdk.trace(name="outside")
    def outside() -> str:
        return sdk.get_current_trace_id()

    sdk.configure(sample_rate=0.0)
    try:
        results = [sdk.evaluate(CASES, app, [exact]) for app in (upper, traced)]
        dropped = outside()
    finally:
        sdk.configure(sample_rate=1.0)

    for result in results:
        assert result.metrics["exact/mean"] == 1.0
        for row in result.rows:
            trace = client.get_trace(row.trace_id)
            assert trace is not None and trace.info.run_id == result.run_id
            assert _assessments(client, row.trace_id, "feedback")["exact"].value is True
    assert len(client.get_trace(results[1].rows[0].trace_id).data.spans) == 2
    sdk.flush()
    assert client.get_trace(dropped) is None  # the rate still applies outside evaluate


def test_a_streaming_app_is_drained_and_scored(sdk, client):
    # A generator app used to give scorers the generator object (a traced one: no trace,
    # no feedback at all, since its span only starts when iterated).
    def joined(outputs, expectations) -> bool:
        return "".join(outputs) == expectations["answer"]

    def plain_stream(q: str):
        yield from q.upper()

    @sdk.trace
    def traced_stream(q: str):
        with sdk.start_span("chunk"):
            yield q.upper()

    @sdk.trace
    async def async_stream(q: str):
        yield q.upper()

    for app in (plain_stream, traced_stream, async_stream):
        result = sdk.evaluate(CASES, app, [joined])
        assert result.metrics["joined/mean"] == 1.0, app.__name__
        row = result.rows[1]
        assert row.outputs == ["B"] and row.trace_id is not None
        root = next(s for s in client.get_trace(row.trace_id).data.spans if s.parent_id is None)
        assert root.outputs == ["B"]
        assert _assessments(client, row.trace_id, "feedback")["joined"].value is True


def test_a_scorer_with_nothing_to_say_logs_nothing(sdk, client):
    def nothing(outputs) -> list:
        return []

    result = sdk.evaluate(CASES[:1], upper, [nothing])
    assert result.rows[0].scores == {} and result.rows[0].score_errors == {}
    assert _assessments(client, result.rows[0].trace_id, "feedback") == {}


def test_an_async_app_from_inside_a_running_event_loop(sdk, client):
    @sdk.trace(name="model")
    async def model(q: str) -> str:
        await asyncio.sleep(0)
        return q.upper()

    class App:  # an object with an async __call__ is an async app too
        async def __call__(self, q: str) -> str:
            return await model(q)

    async def notebook():  # Jupyter runs the user's cell inside an event loop
        return sdk.evaluate(CASES, App(), [exact], max_workers=2)

    result = asyncio.run(notebook())
    assert [r.error for r in result.rows] == [None, None]
    assert [r.outputs for r in result.rows] == ["A", "B"]
    assert result.metrics["exact/mean"] == 1.0
    spans = client.get_trace(result.rows[0].trace_id).data.spans
    root = next(s for s in spans if s.parent_id is None)
    assert [(s.name, s.parent_id) for s in spans if s is not root] == [("model", root.span_id)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scorers": 5}, "scorers must be a list"),
        ({"data": [{"inputs": {"q": "a"}, "expectations": {"answer": {1, 2}}}]}, "JSON"),
        ({"data": [{"inputs": {"q": "a"}, "expectations": {"": 1}}]}, "expectation names"),
    ],
)
def test_more_bad_arguments_start_no_run(sdk, client, kwargs, message):
    experiment = f"eval-bad-{uuid.uuid4().hex[:8]}"
    args = {"data": CASES, "predict_fn": upper, "scorers": [exact], **kwargs}
    with pytest.raises(sdk.InvalidParameterError, match=message):
        sdk.evaluate(**args, experiment_name=experiment)
    assert sdk.active_run() is None
    assert client.get_experiment_by_name(experiment) is None
