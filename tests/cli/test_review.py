"""``spanwise review``: labelling traces by hand in the terminal, run as a user runs it
(answers typed on stdin); the labels read back as HUMAN feedback."""

from __future__ import annotations

import subprocess
import sys
import uuid

from tests.support.collector import source_env


def _review(collector, *args: str, answers: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spanwise_collector", "review", *args, "--url", collector.http_url],
        input=answers, capture_output=True, text=True, timeout=120,
        env=source_env({"COLUMNS": "160"}),
    )  # fmt: skip


def _traces(sdk, case: str, n: int) -> list[str]:
    ids = []
    for i in range(n):
        with sdk.start_span("answer", inputs={"question": f"q{i}"}) as span:
            sdk.update_current_trace(tags={"case": case})
            span.set_outputs(f"reply number {i}")
        ids.append(span.trace_id)
    assert sdk.flush(30)
    return ids


def test_review_labels_traces_one_by_one(sdk, client, collector):
    case = uuid.uuid4().hex
    ids = _traces(sdk, case, 4)
    where = f"tags.case = '{case}'"
    # yes + a reason; "maybe" is refused and asked again, then no without a reason; skip; quit
    done = _review(collector, "helpful", "--filter", where, "--user", "ann",
                   answers="y\nclear and right\nmaybe\nn\n\ns\nq\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "reply number 0" in done.stdout  # the trace was shown with its outputs
    assert "not y/n: try again" in done.stdout
    assert "reviewed 2 trace(s), skipped 1" in done.stdout

    labels = {}
    for tid in ids:
        found = [a for a in client.get_trace(tid).info.assessments if a.name == "helpful"]
        labels[tid] = [(a.value, a.rationale, a.source.source_type, a.source.source_id)
                       for a in found]  # fmt: skip
    assert labels[ids[0]] == [(True, "clear and right", "HUMAN", "ann")]
    assert labels[ids[1]] == [(False, None, "HUMAN", "ann")]
    assert labels[ids[2]] == labels[ids[3]] == []

    # The queue holds only what nobody labelled: the next reviewer starts at trace 3.
    again = _review(collector, "helpful", "--filter", where, "--type", "choice:good,bad",
                    "--no-comment", answers="good\ngood\n")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "reviewed 2 trace(s), skipped 0" in again.stdout
    assert [a.value for a in client.get_trace(ids[3]).info.assessments] == ["good"]


def test_review_refuses_an_unknown_answer_type(collector):
    bad = _review(collector, "x", "--type", "choice:only", answers="")
    assert bad.returncode == 2 and "at least two choices" in bad.stderr
    bad = _review(collector, "x", "--type", "stars", answers="")
    assert bad.returncode == 2 and "choice:A,B" in bad.stderr
    bad = _review(collector, "a`b", answers="")
    assert bad.returncode == 2 and "without `" in bad.stderr


def test_review_stops_cleanly_when_the_answers_run_out(sdk, client, collector):
    # piped answers for fewer traces than the queue: a bare "Aborted!" and exit 1, though
    # the answers given were stored
    case = uuid.uuid4().hex
    ids = _traces(sdk, case, 3)
    done = _review(collector, "ok", "--filter", f"tags.case = '{case}'", "--no-comment",
                   answers="y\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Aborted" not in done.stdout + done.stderr
    assert "reviewed 1 trace(s), skipped 0" in done.stdout
    assert [a.value for a in client.get_trace(ids[0]).info.assessments] == [True]
