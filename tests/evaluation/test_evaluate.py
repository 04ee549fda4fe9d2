"""``spanwise.evaluate`` through the real collector: the run, its metrics, one trace per
record with the record's expectations and the scorers' feedback on it."""

from __future__ import annotations

import uuid

import pytest

CASES = [
    {"inputs": {"question": "2+2?"}, "expectations": {"answer": "4"}},
    {"inputs": {"question": "capital of France?"}, "expectations": {"answer": "Paris"}},
    {"inputs": {"question": "boom"}, "expectations": {"answer": "-"}},
    {"inputs": {"question": "largest ocean?"}, "expectations": {"answer": "Pacific"}},
]
ANSWERS = {"2+2?": "4", "capital of France?": "Lyon", "largest ocean?": "Pacific"}


def answer(question: str) -> str:
    if question == "boom":
        raise RuntimeError("the model timed out")
    return ANSWERS[question]


def exact(outputs, expectations) -> bool:
    return outputs == expectations["answer"]


def _feedback(trace) -> dict:
    return {a.name: a for a in trace.info.assessments if a.kind == "feedback"}


def test_evaluate_logs_a_run_traces_feedback_and_means(sdk, client):
    @sdk.scorer(name="length")
    def length(outputs) -> int:
        return len(outputs)

    def judged(inputs, outputs):
        return [sdk.Feedback(outputs != "Lyon", rationale="Lyon is not the capital", name="right"),
                sdk.Feedback("terse", name="style")]  # fmt: skip

    experiment = f"eval-{uuid.uuid4().hex[:8]}"
    result = sdk.evaluate(CASES, answer, [exact, length, judged], run_name="baseline",
                          experiment_name=experiment)  # fmt: skip

    assert [r.record_id for r in result.rows] == ["0", "1", "2", "3"]
    assert [r.outputs for r in result.rows] == ["4", "Lyon", None, "Pacific"]
    assert result.rows[2].error == "RuntimeError: the model timed out"
    assert result.rows[2].scores == {}
    assert result.metrics == {
        "exact/mean": pytest.approx(2 / 3), "length/mean": 4.0,
        "right/mean": pytest.approx(2 / 3), "evaluation/error_count": 1.0,
    }  # fmt: skip

    run = client.get_run(result.run_id)
    assert run.info.run_name == "baseline" and run.info.status == "FINISHED"
    assert run.data.metrics["exact/mean"] == pytest.approx(2 / 3)
    assert run.data.tags["spanwise.evaluation"] == "true"
    assert client.get_experiment_by_name(experiment).experiment_id == run.info.experiment_id

    first = client.get_trace(result.rows[0].trace_id)
    assert first.info.run_id == result.run_id
    assert first.info.metadata["evaluation.record_id"] == "0"
    assert first.data.spans[0].name == "answer" and first.data.spans[0].outputs == "4"
    feedback = _feedback(first)
    assert (feedback["exact"].value, feedback["length"].value, feedback["style"].value) == (
        True, 1, "terse",
    )  # fmt: skip
    assert feedback["exact"].source.source_type == "CODE"
    assert feedback["exact"].source.source_id == "exact"
    expectations = [a for a in first.info.assessments if a.kind == "expectation"]
    assert [(e.name, e.value) for e in expectations] == [("answer", "4")]

    wrong = _feedback(client.get_trace(result.rows[1].trace_id))
    assert wrong["right"].value is False and wrong["right"].rationale == "Lyon is not the capital"
    failed = client.get_trace(result.rows[2].trace_id)
    assert failed.info.status == "ERROR" and _feedback(failed) == {}

    # The run's traces and their feedback are searchable like any other.
    found = client.search_traces(f"trace.run_id = '{result.run_id}' AND feedback.exact = 'false'")
    assert [t.info.trace_id for t in found] == [result.rows[1].trace_id]


def test_a_failing_scorer_is_an_error_feedback_and_others_still_score(sdk, client):
    def flaky(outputs):
        if outputs == "Pacific":
            raise ValueError("judge unavailable")
        return 1.0

    def needs_trace(trace) -> int:
        return len(trace.data.spans)

    result = sdk.evaluate(CASES[:1] + CASES[3:], answer, [flaky, exact, needs_trace])
    assert result.rows[1].score_errors == {"flaky": "ValueError: judge unavailable"}
    assert result.rows[1].scores == {"exact": True, "needs_trace": 1}
    assert result.metrics["flaky/mean"] == 1.0  # the failed one does not count
    errored = _feedback(client.get_trace(result.rows[1].trace_id))["flaky"]
    assert errored.value is None and errored.error.error_message == "judge unavailable"


def test_threads_give_the_same_result_as_one_by_one(sdk):
    cases = [{"inputs": {"question": q}, "expectations": {"answer": a}}
             for q, a in [("2+2?", "4"), ("largest ocean?", "Pacific")] * 4]  # fmt: skip
    one = sdk.evaluate(cases, answer, [exact])
    many = sdk.evaluate(cases, answer, [exact], max_workers=4)
    assert one.metrics == many.metrics == {"exact/mean": 1.0, "evaluation/error_count": 0.0}
    assert [r.outputs for r in many.rows] == [r.outputs for r in one.rows]
    assert len({r.trace_id for r in many.rows}) == len(cases)


def test_evaluating_a_dataset_by_name(sdk, client):
    name = f"eval-ds-{uuid.uuid4().hex[:8]}"
    client.create_dataset(name)
    client.merge_records(name, [CASES[0], CASES[1]])
    result = sdk.evaluate(name, answer, [exact])
    assert result.metrics["exact/mean"] == 0.5
    better = sdk.evaluate(name, lambda question: "4" if question == "2+2?" else "Paris", [exact])
    # Evaluations of one dataset, best first (the README's example).
    runs = client.search_runs(
        filter_string=f"tags.`spanwise.dataset.name` = '{name}'",
        order_by=["metrics.`exact/mean` DESC"],
    )
    assert [r.info.run_id for r in runs] == [better.run_id, result.run_id]
    run = client.get_run(result.run_id)
    assert run.data.tags["spanwise.dataset.name"] == name
    assert run.data.tags["spanwise.dataset.id"] == client.get_dataset(name).dataset_id
    records = {r.record_id: r for r in client.get_dataset_records(name)}
    assert {r.record_id for r in result.rows} == set(records)
    trace = client.get_trace(result.rows[0].trace_id)
    assert trace.info.metadata["evaluation.dataset"] == name
    assert trace.info.metadata["evaluation.record_id"] == result.rows[0].record_id

    # The dataset object itself, as MLflow's evaluate takes its datasets.
    again = sdk.evaluate(client.get_dataset(name), answer, [exact])
    assert again.metrics["exact/mean"] == 0.5
    assert client.get_run(again.run_id).data.tags["spanwise.dataset.name"] == name


def test_records_from_a_dataframe_and_an_async_app(sdk):
    import pandas as pd

    async def answer_async(question: str) -> str:
        return ANSWERS[question]

    frame = pd.DataFrame([CASES[0], CASES[3]])
    result = sdk.evaluate(frame, answer_async, [exact])
    assert [r.outputs for r in result.rows] == ["4", "Pacific"]
    assert result.metrics["exact/mean"] == 1.0
    table = result.to_df()
    assert list(table["exact/value"]) == [True, True]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": []}, "no records"),
        ({"data": [{"question": "no inputs"}]}, "'inputs' must be a dict"),
        ({"data": {"inputs": {}}}, "data must be"),
        ({"predict_fn": "not callable"}, "predict_fn"),
        ({"scorers": ["exact"]}, "must be a function"),
        ({"scorers": [lambda outputs: 1]}, "lambda"),
        ({"scorers": [lambda outputs, rubric: 1]}, "lambda"),
        ({"max_workers": 0}, "max_workers"),
        ({"data": "no-such-dataset-" + uuid.uuid4().hex}, "no dataset named"),
    ],
)
def test_bad_arguments_start_no_run(sdk, client, kwargs, message):
    def bad_param(outputs, rubric):
        return 1

    experiment = f"eval-bad-{uuid.uuid4().hex[:8]}"
    args = {"data": CASES[:1], "predict_fn": answer, "scorers": [exact], **kwargs}
    with pytest.raises(sdk.InvalidParameterError, match=message):
        sdk.evaluate(**args, experiment_name=experiment)
    with pytest.raises(sdk.InvalidParameterError, match="rubric"):
        sdk.evaluate(CASES[:1], answer, [bad_param], experiment_name=experiment)
    assert sdk.active_run() is None
    assert client.get_experiment_by_name(experiment) is None


def test_inside_a_run_the_evaluation_is_a_child_run(sdk, client):
    with sdk.start_run(run_name="sweep") as parent:
        result = sdk.evaluate(CASES[:1], answer, [exact], run_name="child")
        assert sdk.active_run().info.run_id == parent.info.run_id  # the parent is active again
    assert sdk.flush(30)
    child = client.get_run(result.run_id)
    assert child.info.parent_run_id == parent.info.run_id and child.info.status == "FINISHED"
    trace = client.get_trace(result.rows[0].trace_id)
    assert trace.info.run_id == result.run_id  # the record's trace belongs to the child run


def test_two_scorers_giving_one_feedback_name_keep_the_first(sdk, client):
    def first(outputs):
        return sdk.Feedback(1.0, name="quality")

    def second(outputs):
        return sdk.Feedback(0.0, name="quality")

    result = sdk.evaluate(CASES[:1], answer, [first, second])
    assert result.rows[0].scores == {"quality": 1.0}
    assert "already gave feedback named 'quality'" in result.rows[0].score_errors["second"]
    assert result.metrics["quality/mean"] == 1.0
    logged = [a for a in client.get_trace(result.rows[0].trace_id).info.assessments
              if a.kind == "feedback"]  # fmt: skip
    assert [(a.name, a.value, a.error is not None) for a in logged] == [
        ("quality", 1.0, False), ("second", None, True),
    ]  # fmt: skip


def test_a_traced_app_is_the_root_of_its_records_traces(sdk, client):
    """``@spanwise.trace`` on the app: its span is the trace (no second span of the same
    name around it); the record's metadata, expectations and scores are on that trace."""

    @sdk.trace(name="agent", span_type="AGENT")
    def agent(question: str) -> str:
        with sdk.start_span("lookup", span_type="TOOL"):
            return answer(question)

    result = sdk.evaluate(CASES[:3], agent, [exact])
    assert [r.scores for r in result.rows] == [{"exact": True}, {"exact": False}, {}]
    for row in result.rows:
        trace = client.get_trace(row.trace_id)
        names = sorted(s.name for s in trace.data.spans)
        assert names == ["agent", "lookup"], names
        [root] = [s for s in trace.data.spans if s.parent_id is None]
        assert root.name == "agent" and root.span_type == "AGENT"
        assert trace.info.metadata["evaluation.record_id"] == row.record_id
        expectations = [a for a in trace.info.assessments if a.kind == "expectation"]
        assert [a.value for a in expectations] == [row.expectations["answer"]]
    assert result.rows[2].error == "RuntimeError: the model timed out"
    assert client.get_trace(result.rows[2].trace_id).info.status == "ERROR"
    assert _feedback(client.get_trace(result.rows[0].trace_id))["exact"].value is True
