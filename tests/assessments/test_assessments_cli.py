"""`spanwise assessments …` and the assessments under `spanwise traces get`, run as a
user runs them (subprocess)."""

from __future__ import annotations

import json

import spanwise

from tests.cli.test_cli import run_cli


def test_feedback_from_the_command_line_shows_under_the_trace(sdk, collector):
    with spanwise.start_span("rated", span_type="AGENT") as root:
        trace_id = root.trace_id
    assert sdk.flush(30)
    url = ("--url", collector.http_url)

    logged = run_cli("assessments", "feedback", trace_id, "helpful", "false", "--rationale",
                     "wrong city", "--source-id", "alice", "--metadata", "ui=web", *url,
                     "--json")  # fmt: skip
    assert logged.returncode == 0, logged.stderr
    feedback = json.loads(logged.stdout)
    assert (feedback["value"], feedback["source"]) == (False, {"source_type": "HUMAN",
                                                               "source_id": "alice"})  # fmt: skip
    text = run_cli("assessments", "expectation", trace_id, "answer", "Paris", *url)
    assert text.returncode == 0 and "logged expectation 'answer'" in text.stdout

    tree = run_cli("traces", "get", trace_id, *url)
    assert tree.returncode == 0, tree.stderr
    assert tree.stdout.index("rated") < tree.stdout.index("Assessments")
    assert "helpful" in tree.stdout and "false" in tree.stdout and "wrong city" in tree.stdout
    assert "Paris" in tree.stdout and "HUMAN alice" in tree.stdout

    listed = json.loads(run_cli("assessments", "list", trace_id, *url, "--json").stdout)
    assert [(a["name"], a["value"]) for a in listed["assessments"]] == [
        ("helpful", False), ("answer", "Paris"),
    ]  # fmt: skip
    found = run_cli("traces", "search", "feedback.helpful = 'false'", *url, "--json")
    assert trace_id in {t["info"]["trace_id"] for t in json.loads(found.stdout)["traces"]}

    gone = run_cli("assessments", "delete", trace_id, feedback["assessment_id"], *url)
    assert gone.returncode == 0 and feedback["assessment_id"] in gone.stdout
    again = run_cli("assessments", "delete", trace_id, feedback["assessment_id"], *url)
    assert again.returncode == 1 and again.stderr.startswith("error: HTTP 404")
    assert "Traceback" not in again.stderr

    bad = run_cli("assessments", "feedback", trace_id, "x", "1", "--metadata", "nokey", *url)
    assert bad.returncode == 2 and "KEY=VALUE" in bad.stderr
