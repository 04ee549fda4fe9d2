"""``spanwise traces list|get|delete|tag|untag|export``."""

from __future__ import annotations

import json
from typing import IO

import click

from .common import api_errors, json_option, path_id, print_json, url_option
from .confirm import confirm, yes_option


@click.group()
def traces() -> None:
    """Read, search, tag, export and delete the traces a collector stored."""


@traces.command("list")
@url_option
@json_option
@click.option("--limit", "--max-results", "limit", default=20, show_default=True, type=click.IntRange(1, 1000),
              help="Traces per page (--page-token reads the next).")  # fmt: skip
@click.option("--project", default=None, help="Only traces of this project.")
@click.option("--page-token", default=None, help="next_page_token of a previous page.")
@api_errors
def list_cmd(
    url: str, as_json: bool, limit: int, project: str | None, page_token: str | None
) -> None:
    """Newest traces first (`spanwise traces search` filters them)."""
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

    from .render import TRACE_DROP_FIRST, more, print_table, traces_table

    print_table(traces_table(TraceInfo.from_dict(t["info"]) for t in payload["traces"]),
                TRACE_DROP_FIRST, empty="no traces" + (f" in project {project!r}" if project else ""))  # fmt: skip
    more(payload.get("next_page_token"))


@traces.command("get")
@click.argument("trace_id")
@url_option
@json_option
@click.option("--io", "show_io", is_flag=True,
              help="Show each span's inputs and outputs under it (cut to 300 characters; "
                   "--json has them whole).")  # fmt: skip
@api_errors
def get_cmd(trace_id: str, url: str, as_json: bool, show_io: bool) -> None:
    """One trace as a tree of spans (name, type, duration, status, tokens, cost).

    \b
    Examples:
      spanwise traces get 5f1c2e0a9b8d4c7e8f6a1b2c3d4e5f60 --io
      spanwise traces get 5f1c2e0a9b8d4c7e8f6a1b2c3d4e5f60 --json | jq '.spans | length'
    """
    from spanwise import Client, Trace

    client = Client(url)
    payload = client._request("GET", f"/api/v1/traces/{path_id(trace_id, 'TRACE_ID')}")
    if as_json:
        print_json(payload)
        return
    from .assessments import ASSESSMENT_DROP_FIRST
    from .render import IO_CHARS, assessments_table, console, print_table, trace_tree

    trace = Trace.from_dict(payload)
    out = console()
    out.print(trace_tree(trace, io_chars=IO_CHARS if show_io else 0, width=out.width))
    if trace.info.assessments:
        print_table(assessments_table(trace.info.assessments, "Assessments"), ASSESSMENT_DROP_FIRST)


_BATCH = 1_000  # traces per request (the collector's limit for ids)


@traces.command("delete")
@click.argument("trace_ids", nargs=-1)
@url_option
@json_option
@click.option(
    "--filter",
    "filter_string",
    default=None,
    help="Delete every trace this filter matches, e.g. "
    "\"trace.user_id = 'u-42'\" (the trace search's filter language).",
)
@click.option("--since", default=None, help="With --filter or alone: traces that started after.")
@click.option(
    "--until",
    default=None,
    help="Traces that started before: 30d = older than 30 days, or an ISO time.",
)
@click.option(
    "--project", default=None, help="Only this project's traces (default: every project)."
)
@yes_option
@click.option(
    "--purge",
    is_flag=True,
    help="Then rewrite the store's parts without the deleted rows (in the background), "
    "so the data leaves the disk now rather than at the parts' next merge.",
)
@api_errors
def delete_cmd(trace_ids: tuple[str, ...], url: str, as_json: bool, filter_string: str | None,
               since: str | None, until: str | None, project: str | None, yes: bool,
               purge: bool) -> None:  # fmt: skip
    """Delete traces by id, or every trace a filter and/or time window matches.

    Their spans, summaries and assessments go; costs, analytics and sessions stop counting
    them. Examples: `spanwise traces delete 5f1c…`, `spanwise traces delete --until 90d`,
    `spanwise traces delete --filter "trace.user_id = 'u-42'"`.
    """
    from spanwise import Client

    client = Client(url)
    search = bool(filter_string or since or until)
    if bool(trace_ids) == search:
        raise click.UsageError("give trace ids, or --filter/--since/--until (not both)")
    if trace_ids:
        batches = [list(trace_ids[i : i + _BATCH]) for i in range(0, len(trace_ids), _BATCH)]
        what = f"{len(trace_ids)} trace(s)"
        total = len(trace_ids)
    else:
        total = _count(client, filter_string, since, until, project)
        what = f"{total} trace(s) " + (f"of project {project!r}" if project else "(all projects)")
        if total == 0:
            _report({"deleted_traces": 0, "deleted_spans": 0}, as_json)
            return
    if not yes:
        confirm(f"Delete {what}? This cannot be undone")
    deleted = {"deleted_traces": 0, "deleted_spans": 0}
    from rich.progress import Progress

    with Progress(console=_stderr(), transient=True) as progress:
        task = progress.add_task("deleting", total=total)
        while True:
            if trace_ids:
                if not batches:
                    break
                body: dict = {"trace_ids": batches.pop(0), "project": project}
            else:
                body = {"filter": filter_string, "since": since, "until": until,
                        "project": project, "max_traces": _BATCH}  # fmt: skip
            result = client._request("POST", "/api/v1/traces/delete", body=body)
            for key in deleted:
                deleted[key] += result[key]
            progress.advance(task, result["deleted_traces"] if search else len(body["trace_ids"]))
            if search and (not result["more"] or not result["deleted_traces"]):
                break
    if purge:
        client._request("POST", "/api/v1/traces/purge")
        deleted["purge"] = "started"
    _report(deleted, as_json)


def _count(client: object, filter_string: str | None, since: str | None, until: str | None,
           project: str | None) -> int:  # fmt: skip
    body = {"filter": filter_string, "since": since, "until": until, "project": project,
            "level": "trace", "metrics": ["count"]}  # fmt: skip
    rows = client._request("POST", "/api/v1/analytics", body=body)["rows"]  # type: ignore[attr-defined]
    return int(rows[0]["count"]) if rows else 0


def _stderr() -> object:
    from .render import console

    return console(stderr=True)


def _report(deleted: dict, as_json: bool) -> None:
    if as_json:
        print_json(deleted)
    else:
        click.echo(
            f"Deleted {deleted['deleted_traces']} trace(s), {deleted['deleted_spans']} span(s)."
        )
        if "purge" in deleted:
            click.echo(
                "Purge started: the store rewrites its parts without them in the background."
            )


@traces.command("tag")
@click.argument("trace_id")
@click.argument("tags", nargs=-1, required=True)
@url_option
@json_option
@api_errors
def tag_cmd(trace_id: str, tags: tuple[str, ...], url: str, as_json: bool) -> None:
    """Set tags on a stored trace: TAGS are KEY=VALUE (an existing key is replaced).

    Search finds the trace by them at once, e.g. --filter "tags.reviewed = 'yes'"."""
    from spanwise import Client

    from .common import key_values

    pairs = key_values(tags, "TAGS") or {}
    Client(url).set_trace_tags(trace_id, pairs)
    if as_json:
        print_json({"trace_id": trace_id, "tags": pairs})
        return
    click.echo(f"set {len(pairs)} tag(s) on trace {trace_id}")


@traces.command("untag")
@click.argument("trace_id")
@click.argument("keys", nargs=-1, required=True)
@url_option
@json_option
@api_errors
def untag_cmd(trace_id: str, keys: tuple[str, ...], url: str, as_json: bool) -> None:
    """Remove tags (by KEY) from a stored trace, also ones its spans set."""
    from spanwise import Client

    Client(url).delete_trace_tags(trace_id, list(keys))
    if as_json:
        print_json({"trace_id": trace_id, "removed": list(keys)})
        return
    click.echo(f"removed {len(keys)} tag(s) from trace {trace_id}")


_EXPORT_PAGE = 100  # traces per request, with their spans


@traces.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
@click.option("--filter", "filter_string", default=None,
              help="Which traces, in the search's filter language (e.g. \"tags.reviewed = 'yes'\").")  # fmt: skip
@click.option("--since", default=None, help="Only traces that started since then (7d, 2026-11-01, …).")  # fmt: skip
@click.option("--until", default=None, help="Only traces that started before then.")
@click.option("--project", default=None, help="Only this project's traces.")
@click.option("--max", "max_traces", default=None, type=click.IntRange(1, None),
              help="At most this many traces (newest first); default: all that match.")  # fmt: skip
@url_option
@api_errors
def export_cmd(file: IO[str], filter_string: str | None, since: str | None, until: str | None,
               project: str | None, max_traces: int | None, url: str) -> None:  # fmt: skip
    """Write traces as JSON Lines to FILE (default: stdout), newest first: one line per
    trace with its info, assessments and every span (inputs, outputs, attributes,
    events) — for notebooks, fine-tuning sets, or another system."""
    from rich.progress import Progress
    from spanwise import Client

    client = Client(url)
    body: dict = {"filter": filter_string, "since": since, "until": until, "project": project,
                  "include_spans": True}  # fmt: skip
    written = 0
    token = None
    with Progress(console=_stderr(), transient=True) as progress:
        task = progress.add_task("exporting", total=max_traces)
        while max_traces is None or written < max_traces:
            size = _EXPORT_PAGE if max_traces is None else min(_EXPORT_PAGE, max_traces - written)
            page = client._request("POST", "/api/v1/traces/search",
                                   body={**body, "max_results": size, "page_token": token})  # fmt: skip
            for trace in page["traces"]:
                file.write(json.dumps(trace, ensure_ascii=False) + "\n")
            written += len(page["traces"])
            progress.advance(task, len(page["traces"]))
            token = page.get("next_page_token")
            if not token or not page["traces"]:
                break
    file.flush()
    _stderr().print(f"{written} trace(s) exported", style="dim")
