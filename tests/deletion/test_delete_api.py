"""Deleting traces through the real collector, as users do it: the SDK's client right
after the traces ended, the HTTP API's refusals, and the CLI."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.assessments.test_assessments import _http
from tests.cli.test_cli import run_cli


def _traces(sdk, n: int, **trace: object) -> list[str]:
    """n traces of an agent calling a tool; ``trace``: update_current_trace arguments."""
    ids = []
    for i in range(n):

        @sdk.trace(span_type="AGENT")
        def agent(i: int) -> int:
            sdk.update_current_trace(**trace)
            ids.append(sdk.get_current_trace_id())
            with sdk.start_span("tool", span_type="TOOL"):
                return i

        agent(i)
    return ids


def _present(client, ids: list[str]) -> list[str]:
    return [t for t in ids if client.get_trace(t) is not None]


def test_one_trace_id_given_as_text_deletes_that_trace(sdk, client):
    """As delete_trace_tags and delete_dataset_records: one id as text is that id."""
    ids = _traces(sdk, 2)
    assert client.delete_traces(ids[0]) == 1
    assert _present(client, ids) == [ids[1]]


def test_deleted_right_after_they_ended_and_gone_everywhere(sdk, client):
    session = f"s-{uuid.uuid4().hex[:8]}"
    ids = _traces(sdk, 3, session_id=session)
    sdk.log_feedback(ids[0], "helpful", True)
    # No flush: the client sends this process's pending spans before deleting.
    assert client.delete_traces(ids[:2]) == 2
    assert _present(client, ids) == [ids[2]]
    assert [t.info.trace_id for t in client.get_session(session).traces] == [ids[2]]
    found = client.search_traces(f"trace.session_id = '{session}'", project="tests")
    assert [t.info.trace_id for t in found] == [ids[2]]
    assert not client.search_traces(f"feedback.helpful = 'true' AND trace.session_id = '{session}'")
    # Deleted already, unknown: nothing to delete.
    assert client.delete_traces(ids[:2]) == 0
    assert client.delete_trace(ids[0]) is False
    assert client.delete_trace(ids[2]) is True
    assert _present(client, ids) == []
    assert client.get_session(session) is None


def test_delete_by_filter_in_batches_leaves_other_traces(sdk, client):
    batch = uuid.uuid4().hex[:8]
    doomed = _traces(sdk, 5, tags={"batch": batch})
    kept = _traces(sdk, 2, tags={"batch": batch + "-keep"})
    assert client.delete_traces(filter_string=f"tags.batch = '{batch}'", project="tests",
                                max_traces=2) == 2  # fmt: skip
    assert len(_present(client, doomed)) == 3
    assert client.delete_traces(filter_string=f"tags.batch = '{batch}'", project="tests") == 3
    assert _present(client, doomed) == []
    assert _present(client, kept) == kept
    # Another project's traces are not touched by a project's filter.
    assert client.delete_traces(filter_string=f"tags.batch = '{batch}-keep'",
                                project="elsewhere") == 0  # fmt: skip
    assert _present(client, kept) == kept


def test_bad_requests_are_refused_and_delete_nothing(sdk, client, collector):
    ids = _traces(sdk, 2)
    assert sdk.flush(30)
    for body, status, says in [
        ({"trace_ids": [ids[0], "nope"]}, 400, "invalid trace id"),
        ({"trace_ids": [ids[0]], "filter": "trace.name = 'agent'"}, 400, "not both"),
        ({}, 400, "say which traces"),
        ({"project": "tests"}, 400, "say which traces"),
        ({"filter": "trace.bogus = 1", "project": "tests"}, 400, "bogus"),
        ({"until": "yesterday-ish", "project": "tests"}, 400, "yesterday-ish"),
        ({"until": "0d", "project": "tests", "max_traces": 0}, 422, "max_traces"),
        ({"trace_ids": ids, "unknown": 1}, 422, "unknown"),
        ({"trace_ids": ["0" * 32] * 1001}, 422, "trace_ids"),
    ]:
        code, answer = _http(collector, "POST", "/api/v1/traces/delete", body)
        assert code == status, (body, answer)
        assert says in json.dumps(answer), (body, answer)
        assert _present(client, ids) == ids
    code, answer = _http(collector, "DELETE", "/api/v1/traces/not-an-id")
    assert code == 400 and "32 hexadecimal" in answer["detail"]
    assert _http(collector, "DELETE", f"/api/v1/traces/{'0' * 32}")[0] == 404
    with pytest.raises(ValueError, match="either trace_ids"):
        client.delete_traces(ids, until="1d")
    assert _present(client, ids) == ids


def test_cli_asks_before_deleting_and_reports(sdk, collector, client):
    batch = uuid.uuid4().hex[:8]
    ids = _traces(sdk, 3, tags={"batch": batch})
    assert sdk.flush(30)
    url = ("--url", collector.http_url)
    filt = ("--filter", f"tags.batch = '{batch}'", "--project", "tests")

    declined = run_cli("traces", "delete", *filt, *url, input="n\n")
    assert declined.returncode == 1, declined.stderr
    assert "Delete 3 trace(s) of project 'tests'?" in declined.stderr
    assert _present(client, ids) == ids

    one = run_cli("traces", "delete", ids[0], "--yes", *url)
    assert one.returncode == 0, one.stderr
    assert "Deleted 1 trace(s), 2 span(s)." in one.stdout
    rest = run_cli("traces", "delete", *filt, "--yes", "--json", "--purge", *url)
    assert rest.returncode == 0, rest.stderr
    assert json.loads(rest.stdout) == {"deleted_traces": 2, "deleted_spans": 4,
                                       "purge": "started"}  # fmt: skip
    assert _present(client, ids) == []

    none = run_cli("traces", "delete", *url)
    assert none.returncode == 2 and "give trace ids" in none.stderr
    bad = run_cli("traces", "delete", "--filter", "trace.bogus = 1", "--yes", *url)
    assert bad.returncode == 1 and bad.stderr.startswith("error: HTTP 400")
    assert "Traceback" not in bad.stderr
