"""What the CLI and the Client say when a request is wrong: one line that names the fix."""

from __future__ import annotations

import json

import pytest
import spanwise

from tests.cli.test_cli import run_cli


def test_a_rejected_parameter_is_named_not_dumped_as_json(collector):
    result = run_cli("analytics", "--group-by", "model,day,hour,user,session,project",
                     "--url", collector.http_url)  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "error: HTTP 422: group_by: List should have at most 5 items after validation, not 6"
    )
    client = spanwise.Client(collector.http_url)
    with pytest.raises(spanwise.SpanwiseAPIError) as err:
        client.search_traces(max_results=0)  # (more than a page is read page by page)
    assert str(err.value) == "HTTP 422: max_results: Input should be greater than or equal to 1"


def test_every_command_has_help_whose_summary_is_a_whole_phrase():
    import click
    from spanwise_collector.cli import cli

    def walk(command: click.Command, path: str):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, f"{path} {name}")

    for path, command in walk(cli, "spanwise"):
        assert command.help, path
        # click cuts a group's listing at the first ". ": "Traces matching FILTER, e.g."
        summary = command.get_short_help_str(limit=200)
        assert not summary.endswith(("e.g.", "i.e.")), (path, summary)


def test_a_url_without_http_is_taken_as_http(collector):
    # used to fail with "unknown url type: 127.0.0.1; is `spanwise collector` running?"
    host_port = collector.http_url.removeprefix("http://")
    result = run_cli("traces", "list", "--limit", "1", "--json", "--url", host_port)
    assert result.returncode == 0, result.stderr
    assert "traces" in json.loads(result.stdout)


def test_an_empty_or_odd_id_is_an_error_not_another_request(collector):
    url = ("--url", collector.http_url)
    for args in (("traces", "get", ""), ("runs", "get", ""), ("assessments", "list", "")):
        result = run_cli(*args, *url)  # GET /traces/ was the trace list: KeyError traceback
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "must not be empty" in result.stderr
    odd = run_cli("traces", "get", "abc?limit=1", *url)  # the "?" began a query string
    assert odd.returncode == 1 and "invalid trace id 'abc?limit=1'" in odd.stderr
    client = spanwise.Client(collector.http_url)
    with pytest.raises(spanwise.SpanwiseAPIError, match="invalid trace id ''"):
        client.get_trace("")


def test_every_option_of_every_command_says_what_it_does():
    # --limit, --max-results, --level and --log-level were listed with no explanation
    import click
    from spanwise_collector.cli import cli

    def walk(command: click.Command, path: str):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, f"{path} {name}")

    bare = [
        (path, param.opts[0])
        for path, command in walk(cli, "spanwise")
        for param in command.params
        if isinstance(param, click.Option) and not param.help
    ]
    assert bare == []
