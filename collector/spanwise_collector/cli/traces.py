"""``spanwise traces list|get``."""

from __future__ import annotations

import click

from .common import api_errors, json_option, print_json, url_option


@click.group()
def traces() -> None:
    """Read traces from a collector."""


@traces.command("list")
@url_option
@json_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--project", default=None, help="Only traces of this project.")
@click.option("--page-token", default=None, help="next_page_token of a previous page.")
@api_errors
def list_cmd(
    url: str, as_json: bool, limit: int, project: str | None, page_token: str | None
) -> None:
    """Newest traces first."""
    from spanwise import Client

    client = Client(url)
    payload = client._request(
        "GET",
        "/api/v1/traces",
        params={"limit": limit, "project": project, "page_token": page_token},
    )
    if as_json:
        print_json(payload)
        return
    from spanwise import TraceInfo

    from .render import TRACE_DROP_FIRST, console, print_table, traces_table

    out = console()
    print_table(
        traces_table(TraceInfo.from_dict(t["info"]) for t in payload["traces"]), TRACE_DROP_FIRST
    )
    if payload.get("next_page_token"):
        out.print(f"[dim]more: --page-token {payload['next_page_token']}[/dim]")


@traces.command("get")
@click.argument("trace_id")
@url_option
@json_option
@click.option("--io", "show_io", is_flag=True,
              help="Show each span's inputs and outputs under it (cut to 300 characters; "
                   "--json has them whole).")  # fmt: skip
@api_errors
def get_cmd(trace_id: str, url: str, as_json: bool, show_io: bool) -> None:
    """One trace as a tree of spans (name, type, duration, status, tokens, cost)."""
    from spanwise import Client, Trace

    client = Client(url)
    payload = client._request("GET", f"/api/v1/traces/{trace_id}")
    if as_json:
        print_json(payload)
        return
    from .assessments import ASSESSMENT_DROP_FIRST
    from .render import IO_CHARS, assessments_table, console, print_table, trace_tree

    trace = Trace.from_dict(payload)
    console().print(trace_tree(trace, io_chars=IO_CHARS if show_io else 0))
    if trace.info.assessments:
        print_table(assessments_table(trace.info.assessments, "Assessments"), ASSESSMENT_DROP_FIRST)
