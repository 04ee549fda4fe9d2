"""``spanwise review``: label traces by hand in the terminal (Langfuse's annotation queues,
MLflow's review app): each trace that matches a filter and has no feedback of that name
yet is shown as its span tree with inputs and outputs, your answer is logged as HUMAN
feedback. Several reviewers can work the same queue: a labelled trace leaves it."""

from __future__ import annotations

import getpass
from typing import Any

import click

from .common import api_errors, url_option

_KINDS = ("bool", "number", "text")


def _parse_kind(kind: str) -> tuple[str, list[str]]:
    if kind.startswith("choice:"):
        choices = [c.strip() for c in kind[len("choice:") :].split(",") if c.strip()]
        if len(choices) < 2:
            raise click.BadParameter("choice:A,B needs at least two choices", param_hint="--type")
        return "choice", choices
    if kind not in _KINDS:
        raise click.BadParameter(
            f"use one of {', '.join(_KINDS)} or choice:A,B,…", param_hint="--type"
        )
    return kind, []


def _answer(name: str, kind: str, choices: list[str]) -> Any:
    """The reviewer's value; ``None`` to skip, ``...`` to stop."""
    hint = {"bool": "y/n", "number": "a number", "text": "text"}.get(kind, "/".join(choices))
    while True:
        try:
            raw = click.prompt(f"{name}? [{hint}; s skip, q quit]", default="", show_default=False)
        except click.Abort:  # end of input (answers piped in) or Ctrl-C: quit, not "Aborted!"
            click.echo()
            return ...
        raw = raw.strip()
        if raw.lower() in ("s", "skip", ""):
            return None
        if raw.lower() in ("q", "quit"):
            return ...
        if kind == "bool" and raw.lower() in ("y", "yes", "n", "no", "true", "false"):
            return raw.lower() in ("y", "yes", "true")
        if kind == "number":
            try:
                value = float(raw)
            except ValueError:
                pass
            else:
                return int(value) if value.is_integer() else value
        if kind == "choice" and raw in choices:
            return raw
        if kind == "text":
            return raw
        click.secho(f"  not {hint}: try again", fg="yellow")


@click.command()
@click.argument("name")
@click.option("--filter", "filter_string", help="Only traces matching this trace filter.")
@click.option("--project", help="Project to read (default: the collector's default).")
@click.option("--since", default="7d", show_default=True,
              help="Traces started after this (ISO time or 30m, 12h, 7d).")  # fmt: skip
@click.option("--type", "kind", default="bool", show_default=True,
              help="The answer: bool, number, text or choice:A,B,….")  # fmt: skip
@click.option("--user", default=None,
              help="Who is reviewing (the feedback's source id; default: your login).")  # fmt: skip
@click.option("--comment/--no-comment", default=True, show_default=True,
              help="Ask for a reason after each answer.")  # fmt: skip
@click.option("--max", "max_traces", type=click.IntRange(min=1), default=50, show_default=True,
              help="Stop after this many traces.")  # fmt: skip
@click.option("--io-chars", type=click.IntRange(min=0), default=600, show_default=True,
              help="Characters of each span's inputs and outputs to show.")  # fmt: skip
@url_option
@api_errors
def review(name: str, filter_string: str | None, project: str | None, since: str, kind: str,
           user: str | None, comment: bool, max_traces: int, io_chars: int,
           url: str) -> None:  # fmt: skip
    """Label traces by hand: feedback NAME on each trace that has none yet.

    \b
    Examples:
      spanwise review helpful --filter "tags.env = 'prod'" --since 1d
      spanwise review tone --type choice:polite,neutral,rude --user ann
    """
    import spanwise

    from .render import console, trace_tree

    kind, choices = _parse_kind(kind)
    if not name.strip() or "`" in name or "\\" in name:
        raise click.BadParameter("a feedback name without ` or \\", param_hint="NAME")
    reviewer = user or _login()
    client = spanwise.Client(url)
    queue = f"feedback.`{name}` IS NULL"
    where = f"({filter_string}) AND {queue}" if filter_string else queue
    out = console()
    done = skipped = 0
    seen: set[str] = set()
    token = None
    while done + skipped < max_traces:
        page = client.search_traces(where, order_by="trace.timestamp ASC", max_results=20,
                                    page_token=token, project=project, since=since,
                                    include_spans=True)  # fmt: skip
        fresh = [t for t in page if t.info.trace_id not in seen]
        for trace in fresh:
            if done + skipped >= max_traces:
                break
            seen.add(trace.info.trace_id)
            out.rule(f"{done + skipped + 1}")
            out.print(trace_tree(trace, io_chars=io_chars, width=out.width))
            value = _answer(name, kind, choices)
            if value is ...:
                _summary(done, skipped)
                return
            if value is None:
                skipped += 1
                continue
            reason = _reason() if comment else ""
            client.log_feedback(trace.info.trace_id, name, value,
                                source=spanwise.AssessmentSource("HUMAN", reviewer),
                                rationale=reason.strip() or None)  # fmt: skip
            done += 1
        token = page.token
        if token is None:
            break
    _summary(done, skipped)


def _reason() -> str:
    try:
        return click.prompt("why? (enter to leave out)", default="", show_default=False)
    except click.Abort:  # input ended after the answer: keep the answer, without a reason
        click.echo()
        return ""


def _summary(done: int, skipped: int) -> None:
    click.echo(f"reviewed {done} trace(s), skipped {skipped}")


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a container: still a person
        return "reviewer"
