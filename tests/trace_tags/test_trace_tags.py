"""Tags set or removed on a stored trace: the trace, search, lists, analytics and the
CLI all see the edit; an edit beats the tags the spans set; bad edits change nothing."""

from __future__ import annotations

import uuid

import pytest
import spanwise

from tests.cli.test_cli import run_cli


def _trace(sdk, **tags: str) -> str:
    ids = {}

    @sdk.trace(name="tagged_agent", span_type="AGENT")
    def agent() -> str:
        ids["trace"] = sdk.get_current_trace_id()
        sdk.update_current_trace(tags=tags)
        return "done"

    agent()
    assert sdk.flush(30)
    return ids["trace"]


def _found(client, tid: str, condition: str) -> bool:
    hits = client.search_traces(filter_string=f"trace.id = '{tid}' AND {condition}")
    return [t.info.trace_id for t in hits] == [tid]


def test_an_edit_is_seen_by_the_trace_search_lists_and_analytics(sdk, client):
    run = uuid.uuid4().hex[:8]
    tid = _trace(sdk, env="prod", team="a", run=run)
    # "dev" sorts before "prod": the edit must win over the span's tag all the same
    client.set_trace_tag(tid, "env", "dev")
    client.set_trace_tags(tid, {"reviewed": "yes"})

    expected = {"env": "dev", "team": "a", "run": run, "reviewed": "yes"}
    assert client.get_trace(tid).info.tags == expected
    [listed] = client.search_traces(filter_string=f"trace.id = '{tid}'")
    assert listed.info.tags == expected
    assert _found(client, tid, "tags.env = 'dev' AND tags.reviewed = 'yes'")
    assert not _found(client, tid, "tags.env = 'prod'")
    by_env = client.analytics(level="trace", group_by=["tag:env"], metrics=["count"],
                              filter_string=f"tags.run = '{run}'", since="1d")  # fmt: skip
    assert [(dict(r.key), r.count) for r in by_env.rows] == [({"tag:env": "dev"}, 1)]


def test_removing_a_tag_the_spans_set_and_setting_it_again(sdk, client):
    tid = _trace(sdk, env="prod", team="a")
    client.delete_trace_tag(tid, "team")
    assert client.get_trace(tid).info.tags == {"env": "prod"}
    [listed] = client.search_traces(filter_string=f"trace.id = '{tid}'")
    assert listed.info.tags == {"env": "prod"}
    assert _found(client, tid, "tags.team IS NULL")
    assert not _found(client, tid, "tags.team = 'a'")

    client.delete_trace_tags(tid, ["never-there"])  # no such key: no error
    client.set_trace_tag(tid, "team", "b")  # newer than the removal
    assert client.get_trace(tid).info.tags == {"env": "prod", "team": "b"}
    assert _found(client, tid, "tags.team = 'b'")


def test_one_key_given_as_text_is_that_key_not_its_letters(sdk, client):
    tid = _trace(sdk, env="prod", e="1", n="2", v="3")
    client.delete_trace_tags(tid, "env")
    assert client.get_trace(tid).info.tags == {"e": "1", "n": "2", "v": "3"}


def test_bad_edits_are_refused_and_change_nothing(sdk, client):
    tid = _trace(sdk, env="prod")
    for bad in ({"": "x"}, {"env": 5}, {"k" * 251: "x"}, {"env": "x" * 8193},
                {"env": "\U0010ffff"}, {"env": "\ud800"}, {"\ud800": "x"}, {}):  # fmt: skip
        with pytest.raises(spanwise.SpanwiseAPIError) as info:
            client.set_trace_tags(tid, bad)
        assert info.value.status == 400, bad
    with pytest.raises(spanwise.SpanwiseAPIError) as info:
        client.delete_trace_tags(tid, [])
    assert info.value.status == 400
    with pytest.raises(spanwise.SpanwiseAPIError) as info:
        client.set_trace_tag("0" * 32, "env", "dev")
    assert info.value.status == 404 and "no trace" in info.value.message
    with pytest.raises(spanwise.SpanwiseAPIError) as info:
        client.set_trace_tag("not-a-trace-id", "env", "dev")
    assert info.value.status == 400
    assert client.get_trace(tid).info.tags == {"env": "prod"}


def test_a_deleted_trace_takes_its_edits_along(sdk, client):
    tid = _trace(sdk, env="prod")
    client.set_trace_tag(tid, "env", "dev")
    assert client.delete_trace(tid)
    assert client.get_trace(tid) is None
    assert client.search_traces(filter_string=f"trace.id = '{tid}'") == []
    with pytest.raises(spanwise.SpanwiseAPIError) as info:
        client.set_trace_tag(tid, "env", "dev")
    assert info.value.status == 404


def test_cli_tag_and_untag(sdk, client, collector):
    tid = _trace(sdk, env="prod")
    done = run_cli("traces", "tag", tid, "reviewed=yes", "env=dev", "--url", collector.http_url)
    assert done.returncode == 0, done.stderr
    assert "set 2 tag(s)" in done.stdout
    done = run_cli("traces", "untag", tid, "env", "--url", collector.http_url)
    assert done.returncode == 0, done.stderr
    assert client.get_trace(tid).info.tags == {"reviewed": "yes"}
    shown = run_cli("traces", "get", tid, "--url", collector.http_url)
    assert shown.returncode == 0 and "tags reviewed=yes" in shown.stdout
    bad = run_cli("traces", "tag", tid, "no-equals-sign", "--url", collector.http_url)
    assert bad.returncode != 0 and "KEY=VALUE" in bad.stderr
