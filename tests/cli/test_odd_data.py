"""Human output of the CLI with the data users really store: brackets, emoji, long names."""

from __future__ import annotations

import uuid

import spanwise

from tests.cli.test_cli import _run_width, run_cli

# rich reads "[/x]" as a closing tag (MarkupError) and "[red]" as a style (dropped)
ODD = "🚀 日本語 [/bold] [red]x"


def test_names_with_brackets_print_as_they_are(sdk, client, collector):
    url = ("--url", collector.http_url)
    suffix = uuid.uuid4().hex[:8]
    with spanwise.start_span(f"{ODD} {suffix}", span_type="AGENT") as root:
        spanwise.update_current_trace(session_id=f"s [/] {suffix}", user_id="u[/i]",
                                      tags={"k[/]": "v[bold]"})  # fmt: skip
        trace_id = root.trace_id
    experiment = f"exp [/] {suffix}"
    spanwise.set_experiment(experiment)
    with spanwise.start_run(run_name=f"run [/b] {suffix}") as run:
        spanwise.log_params({"act": "[relu]"})
    client.create_dataset(f"ds-{suffix}", description="desc [/x]", tags={"a": "[/y]"})
    client.register_prompt(f"p-{suffix}", "Hi {{name}} [/b]", commit_message="msg [/i]")
    assert sdk.flush(30)

    outputs = {
        "traces search": run_cli("traces", "search", f"trace.id = '{trace_id}'", *url),
        "traces get": run_cli("traces", "get", trace_id, *url),
        "sessions list": run_cli("sessions", "list", f"trace.id = '{trace_id}'", *url),
        "runs search": run_cli("runs", "search", "--experiment", experiment, *url),
        "runs get": run_cli("runs", "get", run.info.run_id, *url),
        "experiments list": run_cli(
            "experiments", "list", "--filter", f"name = '{experiment}'", *url
        ),
        "datasets get": run_cli("datasets", "get", f"ds-{suffix}", *url),
        "prompts get": run_cli("prompts", "get", f"p-{suffix}", *url),
    }
    for command, result in outputs.items():
        assert result.returncode == 0 and "Traceback" not in result.stderr, (command, result.stderr)
    text = {command: " ".join(result.stdout.split()) for command, result in outputs.items()}
    assert f"{ODD} {suffix}" in text["traces get"]
    assert "[red]x" in text["traces search"]  # a cell may wrap, but nothing is taken as markup
    assert f"s [/] {suffix}" in text["sessions list"] and "u[/i]" in text["sessions list"]
    assert f"run [/b] {suffix}" in text["runs search"] and "[relu]" in text["runs search"]
    assert f"run [/b] {suffix}" in text["runs get"] and "[relu]" in text["runs get"]
    assert experiment in text["experiments list"]
    assert "desc [/x]" in text["datasets get"] and "a=[/y]" in text["datasets get"]
    assert "msg [/i]" in text["prompts get"] and "Hi {{name}} [/b]" in text["prompts get"]


def test_next_page_token_prints_on_one_line_to_copy(sdk, collector):
    for name in ("page-a", "page-b"):
        with spanwise.start_span(name):
            pass
    assert sdk.flush(30)
    first = _run_width(80, "traces", "list", "--limit", "1", "--url", collector.http_url)
    assert first.returncode == 0, first.stderr
    line = next(x for x in first.stdout.splitlines() if x.startswith("more: --page-token "))
    token = line.removeprefix("more: --page-token ")
    assert len(token) > 80  # longer than the terminal: rich used to fold it onto new lines
    second = run_cli("traces", "list", "--limit", "1", "--page-token", token, "--json",
                     "--url", collector.http_url)  # fmt: skip
    assert second.returncode == 0, second.stderr


def test_a_tree_deeper_than_the_terminal_says_what_it_left_out(sdk, collector):
    def chain(n: int) -> None:
        if n:
            with spanwise.start_span(f"level-{n}"):
                chain(n - 1)

    with spanwise.start_span("deep-root") as root:
        chain(60)
    assert sdk.flush(30)
    result = _run_width(80, "traces", "get", root.trace_id, "--url", collector.http_url)
    assert result.returncode == 0, result.stderr
    # rich drops whatever no longer fits the width: 60 levels used to end at ~20, unsaid
    shown = [n for n in range(1, 61) if f"level-{n} " in result.stdout]
    text = " ".join(result.stdout.split())
    note = text.split("… ")[1].split(" deeper span(s) not shown")[0]
    assert shown == list(range(61 - len(shown), 61)) and int(note) == 60 - len(shown)
    assert max(map(len, result.stdout.splitlines())) <= 80


def test_empty_results_say_so_instead_of_an_empty_table(collector):
    url = ("--url", collector.http_url)
    nowhere = f"no-such-project-{uuid.uuid4().hex[:8]}"
    expected = {
        ("traces", "search", "--project", nowhere): "no traces match (check the filter",
        ("traces", "list", "--project", nowhere): f"no traces in project '{nowhere}'",
        ("spans", "search", "--project", nowhere): "no spans match",
        ("sessions", "list", "--project", nowhere): "no sessions match",
        ("runs", "search", "--filter", "metrics.never_logged > 0"): "no runs match",
    }
    for args, said in expected.items():
        result = run_cli(*args, *url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(said) and "┃" not in result.stdout, (args, result.stdout)
