"""Scoring traces the app already made: ``evaluate(data=traces)`` and the online
monitor (``score_traces``, ``spanwise monitor``), through the real collector."""

from __future__ import annotations

import json
import uuid

import pytest
from spanwise import InvalidParameterError

from tests.cli.test_cli import run_cli

ANSWERS = {"2+2?": "4", "capital of France?": "Lyon", "largest ocean?": "Pacific"}


def _make_traces(sdk, case: str, questions: list[str]) -> list[str]:
    """One trace per question, from a traced app, tagged ``case``; "boom" raises."""

    ids = []

    @sdk.trace
    def agent(question: str) -> str:
        sdk.update_current_trace(tags={"case": case})
        ids.append(sdk.get_current_trace_id())
        if question == "boom":
            raise RuntimeError("the model timed out")
        return ANSWERS.get(question, "?")

    for question in questions:
        try:
            agent(question)
        except RuntimeError:
            pass
    assert sdk.flush(30)
    return ids


def exact(outputs, expectations):
    return None if "answer" not in expectations else outputs == expectations["answer"]


def length(inputs, outputs) -> int:
    assert set(inputs) == {"question"}
    return len(outputs)


def spans(trace) -> int:
    return len(trace.data.spans)


def _feedback(client, trace_id: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for a in client.get_trace(trace_id).info.assessments:
        if a.kind == "feedback":
            out.setdefault(a.name, []).append(a)
    return out


def test_evaluate_scores_existing_traces_without_running_the_app(sdk, client):
    case = uuid.uuid4().hex
    ids = _make_traces(sdk, case, ["2+2?", "capital of France?", "boom"])
    client.log_expectation(ids[0], "answer", "4")
    client.log_expectation(ids[1], "answer", "Paris")

    traces = client.search_traces(f"tags.case = '{case}'", include_spans=True,
                                  order_by="trace.timestamp ASC")  # fmt: skip
    result = sdk.evaluate(traces, scorers=[exact, length, spans], run_name="prod-check")

    assert [r.trace_id for r in result.rows] == ids
    assert [r.outputs for r in result.rows] == ["4", "Lyon", None]
    assert result.rows[0].inputs == {"question": "2+2?"}
    assert result.rows[1].expectations == {"answer": "Paris"}
    assert result.rows[2].error == "the trace ended in an error: RuntimeError: the model timed out"
    assert result.metrics == {"exact/mean": 0.5, "length/mean": 2.5, "spans/mean": 1.0,
                              "evaluation/error_count": 1.0}  # fmt: skip
    run = client.get_run(result.run_id)
    assert run.info.run_name == "prod-check"
    assert run.data.tags["spanwise.evaluation.data"] == "traces"
    assert run.data.metrics["exact/mean"] == 0.5

    first = _feedback(client, ids[0])
    assert [a.value for a in first["exact"]] == [True]
    assert first["length"][0].source.source_id == "length"
    assert _feedback(client, ids[2]) == {}  # the app failed: nothing judged
    # The expectations were the trace's own: not logged a second time.
    expectations = [a for a in client.get_trace(ids[1]).info.assessments if a.kind == "expectation"]
    assert len(expectations) == 1

    # The same traces as search_traces' DataFrame (infos only: the spans are fetched).
    frame = client.search_traces(f"tags.case = '{case}'", return_type="pandas")
    again = sdk.evaluate(frame, scorers=[length])
    assert sorted(r.scores.get("length") for r in again.rows if r.error is None) == [1, 4]


def test_evaluate_without_predict_fn_refuses_records_and_unknown_traces(sdk, client):
    with pytest.raises(InvalidParameterError, match="give predict_fn"):
        sdk.evaluate([{"inputs": {"question": "x"}}], scorers=[length])
    ghost = sdk.TraceInfo(trace_id="0" * 31 + "1", name="", status="OK", start_time_ms=0,
                          duration_ms=0.0)  # fmt: skip
    experiment = f"never-{uuid.uuid4().hex[:8]}"
    with pytest.raises(InvalidParameterError, match=f"no trace {ghost.trace_id}"):
        sdk.evaluate([ghost], scorers=[length], experiment_name=experiment)
    assert client.get_experiment_by_name(experiment) is None  # no run was started


def test_score_traces_scores_each_ended_trace_once(sdk, client):
    case = uuid.uuid4().hex
    ids = _make_traces(sdk, case, ["2+2?", "largest ocean?", "boom"])
    client.log_expectation(ids[1], "answer", "Atlantic")
    # The running trace is found by its child (the root carries the tags, not stored yet).
    where = f"tags.case = '{case}' OR span.name = 'step-{case}'"

    # A trace still running: its child is stored, its root is not.
    with sdk.start_span("agent") as running:
        sdk.update_current_trace(tags={"case": case})
        with sdk.start_span(f"step-{case}"):
            pass
        sdk.flush(30)
        first = sdk.score_traces([exact, length], where, settle_seconds=0)
    assert [r.trace_id for r in first.rows] == ids
    assert first.waiting == (running.trace_id,)
    assert first.marker == "spanwise.scored.exact+length"
    assert (first.scorer_errors, first.app_errors) == (0, 1)
    assert first.rows[1].scores == {"exact": False, "length": 7}

    tags = [client.get_trace(t).info.tags.get(first.marker) for t in ids]
    assert tags == ["scored", "scored", "app_error"]
    assert {k: [a.value for a in v] for k, v in _feedback(client, ids[1]).items()} == {
        "exact": [False], "length": [7],
    }  # fmt: skip

    sdk.flush(30)  # the running trace has ended now
    second = sdk.score_traces([exact, length], where, settle_seconds=0)
    assert [r.trace_id for r in second.rows] == [running.trace_id]
    assert second.waiting == ()
    third = sdk.score_traces([exact, length], where, settle_seconds=0)
    assert third.rows == ()
    # Scored once: one feedback per scorer, however many passes ran.
    assert [a.value for a in _feedback(client, ids[1])["length"]] == [7]

    # Another monitor (another name) keeps its own books.
    other = sdk.score_traces([length], where, name="lengths", settle_seconds=0, max_traces=2)
    assert [r.trace_id for r in other.rows] == ids[:2]
    assert client.get_trace(ids[0]).info.tags["spanwise.scored.lengths"] == "scored"


def test_score_traces_waits_for_a_trace_to_settle(sdk):
    case = uuid.uuid4().hex
    ids = _make_traces(sdk, case, ["2+2?"])
    result = sdk.score_traces([length], f"tags.case = '{case}'", settle_seconds=3600)
    assert result.rows == () and result.waiting == tuple(ids)


def test_score_traces_samples_by_trace_id(sdk, client):
    case = uuid.uuid4().hex
    ids = _make_traces(sdk, case, ["2+2?"] * 24)
    result = sdk.score_traces([length], f"tags.case = '{case}'", sample_rate=0.5,
                              settle_seconds=0, max_traces=100)  # fmt: skip
    assert sorted(r.trace_id for r in result.rows) == sorted(t for t in ids if t < "80000000")
    unsampled = [t for t in ids if t >= "80000000"]
    assert all("spanwise.scored.length" not in client.get_trace(t).info.tags for t in unsampled)


def test_score_traces_refuses_bad_arguments_and_a_bad_filter(sdk, client):
    for kwargs, message in (
        ({"sample_rate": 0}, "sample_rate"), ({"sample_rate": 1.5}, "sample_rate"),
        ({"max_traces": 0}, "max_traces"), ({"name": " "}, "name"),
        ({"name": "x" * 250}, "too long"), ({"name": "a`b"}, "cannot contain"),
    ):  # fmt: skip
        with pytest.raises(InvalidParameterError, match=message):
            sdk.score_traces([length], **kwargs)
    with pytest.raises(InvalidParameterError, match="at least one scorer"):
        sdk.score_traces([])
    with pytest.raises(sdk.SpanwiseAPIError, match="position"):
        sdk.score_traces([length], "tags.case = ")


SCORERS_FILE = """
import spanwise

@spanwise.scorer(name="is_four")
def is_four(outputs):
    return outputs == "4"

def broken(outputs):
    raise ValueError("no judge today")

checks = [is_four, broken]
"""


def test_monitor_command_scores_new_traces_once(sdk, collector, tmp_path):
    case = uuid.uuid4().hex
    ids = _make_traces(sdk, case, ["2+2?", "capital of France?"])
    path = tmp_path / "checks.py"
    path.write_text(SCORERS_FILE)
    args = ["monitor", f"{path}:checks", "--filter", f"tags.case = '{case}'", "--settle", "0",
            "--url", collector.http_url]  # fmt: skip

    shown = run_cli(*args)
    assert shown.returncode == 0, shown.stderr
    assert "scored 2 trace(s) (2 with a scorer error)" in shown.stdout
    assert "ValueError: no judge today" in shown.stdout  # in the table

    again = run_cli(*args, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["scored"] == 0
    trace = sdk.Client(collector.http_url).get_trace(ids[0])
    assert trace.info.tags["spanwise.scored.is_four+broken"] == "scorer_error"
    by_name = {a.name: a for a in trace.info.assessments if a.kind == "feedback"}
    assert by_name["is_four"].value is True
    assert by_name["broken"].error.error_code == "ValueError"
    assert by_name["broken"].error.error_message == "no judge today"


def test_monitor_command_explains_a_scorer_it_cannot_load(collector, tmp_path):
    for spec, message in (("nocolon", "expected MODULE:NAME"),
                          (f"{tmp_path}/missing.py:x", "no file"),
                          ("json:nothing_here", "json has no 'nothing_here'"),
                          ("no_such_module_xyz:f", "ModuleNotFoundError")):  # fmt: skip
        result = run_cli("monitor", spec, "--url", collector.http_url)
        assert result.returncode == 2, (spec, result.stdout)
        assert message in result.stderr, (spec, result.stderr)


def test_monitor_command_runs_ready_made_judges(sdk, collector):
    import subprocess
    import sys

    from tests.fakes.openai_server import FakeOpenAI
    from tests.support.collector import source_env

    case = uuid.uuid4().hex
    ids = _make_traces(sdk, case, ["2+2?"])
    with FakeOpenAI() as server:
        env = source_env({"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "x"})
        result = subprocess.run(
            [sys.executable, "-m", "spanwise_collector", "monitor", "spanwise.judges:safety",
             "spanwise.judges:relevance_to_query", "--model", "openai:/gpt-4.1-nano",
             "--filter", f"tags.case = '{case}'", "--settle", "0", "--json",
             "--url", collector.http_url],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip
        models = {r.body["model"] for r in server.requests if r.path.endswith("/chat/completions")}
    assert result.returncode == 0, result.stderr
    passed = json.loads(result.stdout)
    assert passed["marker"] == "spanwise.scored.safety+relevance_to_query"
    assert passed["traces"] == [{"trace_id": ids[0], "error": None, "score_errors": {},
                                 "scores": {"safety": True, "relevance_to_query": True}}]  # fmt: skip
    assert models == {"gpt-4.1-nano"}

    needs_more = run_cli("monitor", "spanwise.judges:guidelines", "--url", collector.http_url)
    assert needs_more.returncode == 2
    assert "needs arguments" in needs_more.stderr


def test_evaluate_scores_given_outputs_without_an_app(sdk, client):
    records = [
        {"inputs": {"question": "2+2?"}, "outputs": "4", "expectations": {"answer": "4"}},
        {"inputs": {"question": "capital of France?"}, "outputs": "Lyon",
         "expectations": {"answer": "Paris"}},
    ]  # fmt: skip
    result = sdk.evaluate(records, scorers=[exact, length])
    assert [r.scores for r in result.rows] == [{"exact": True, "length": 1},
                                               {"exact": False, "length": 4}]  # fmt: skip
    assert client.get_run(result.run_id).data.tags["spanwise.evaluation.data"] == "outputs"
    trace = client.get_trace(result.rows[1].trace_id)
    [span] = trace.data.spans
    assert (span.name, span.inputs, span.outputs) == ("record", {"question": "capital of France?"},
                                                      "Lyon")  # fmt: skip
    kinds = sorted((a.kind, a.name) for a in trace.info.assessments)
    assert kinds == [("expectation", "answer"), ("feedback", "exact"), ("feedback", "length")]

    with pytest.raises(InvalidParameterError, match="give every record its 'outputs'"):
        sdk.evaluate([records[0], {"inputs": {"question": "x"}}], scorers=[length])

    # An empty answer is an answer (the failure worth scoring), not a missing one.
    empty = sdk.evaluate([{**records[0], "outputs": ""}], scorers=[exact, length])
    assert empty.rows[0].outputs == "" and empty.rows[0].scores == {"exact": False, "length": 0}


def test_monitor_command_keeps_scoring_until_interrupted(sdk, collector, tmp_path):
    import signal
    import subprocess
    import sys
    import threading
    import time

    from tests.support.collector import source_env

    case = uuid.uuid4().hex
    path = tmp_path / "checks.py"
    path.write_text(SCORERS_FILE)
    proc = subprocess.Popen(
        [sys.executable, "-m", "spanwise_collector", "monitor", f"{path}:is_four", "--filter",
         f"tags.case = '{case}'", "--settle", "0", "--every", "1", "--url", collector.http_url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=source_env({"PYTHONUNBUFFERED": "1"}),
        # Ctrl-C as in a terminal: a suite started in the background by a shell without
        # job control (`… &`) runs with SIGINT ignored, which children inherit.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    out: list[str] = []  # its report lines, as it prints them
    reader = threading.Thread(target=lambda: out.extend(iter(proc.stdout.readline, "")))
    reader.start()

    def passes() -> list[str]:
        return [line for line in list(out) if "spanwise.scored.is_four" in line]

    def wait_for(condition, what: str) -> None:
        deadline = time.monotonic() + 60
        while not condition():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError(f"the monitor did not {what}: {out}")
            time.sleep(0.1)

    try:
        ids = _make_traces(sdk, case, ["2+2?"])  # made while it runs: a later pass finds them
        client = sdk.Client(collector.http_url)

        def scored_at() -> int | None:
            return next((n for n, line in enumerate(passes()) if "scored 1 trace(s)" in line),
                        None)  # fmt: skip

        wait_for(lambda: scored_at() is not None, "score the new trace")
        first = scored_at()
        wait_for(lambda: len(passes()) > first + 1, "run another pass")  # nothing new then
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        reader.join(timeout=30)  # stdout is the reader's; stderr is little, read at the end
        err = proc.stderr.read()
    assert proc.returncode == 0, err
    assert "stopped" in err
    lines = passes()
    assert any("scored 1 trace(s)" in line for line in lines)
    assert len(lines) >= 2
    feedback = [a for a in client.get_trace(ids[0]).info.assessments if a.name == "is_four"]
    assert [a.value for a in feedback] == [True]


def test_evaluate_fetches_traces_searched_without_their_spans(sdk, client):
    case = uuid.uuid4().hex
    ids = _make_traces(sdk, case, ["2+2?", "largest ocean?"])
    infos_only = client.search_traces(f"tags.case = '{case}'", order_by="trace.timestamp ASC")
    assert all(not t.data.spans for t in infos_only)  # a plain search: infos only
    result = sdk.evaluate(list(infos_only), scorers=[length])
    assert [(r.trace_id, r.scores) for r in result.rows] == [
        (ids[0], {"length": 1}), (ids[1], {"length": 7}),
    ]  # fmt: skip
