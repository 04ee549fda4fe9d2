"""``spanwise traces search``, ``spanwise spans search``, ``spanwise sessions list|get``,
``spanwise analytics``: readable tables by default, ``--json`` / ``--csv`` for scripts."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any

import click

from .common import api_errors, print_json, url_option
from .traces import traces

__all__ = ["analytics", "sessions", "spans", "traces_search"]


def _format_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")(func)
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


def _window_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--project", default=None, help="Only this project.")(func)
    func = click.option("--until", default=None, help="ISO date/datetime, epoch ms or 1d/12h.")(
        func
    )
    return click.option(
        "--since", default=None, help="ISO date/datetime, epoch ms or relative: 30m, 12h, 7d."
    )(func)


def _page_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--page-token", default=None, help="next_page_token of a previous page.")(
        func
    )
    func = click.option(
        "--limit", "--max-results", "limit", default=20, show_default=True, type=click.IntRange(1, 1000),
        help="Rows per page (--page-token reads the next).",
    )(func)  # fmt: skip
    return click.option(
        "--order-by", multiple=True, help="e.g. 'trace.cost DESC' (repeatable); default newest."
    )(func)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _write_csv(rows: Iterable[dict[str, Any]], columns: list[str]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])


def _search(url: str, kind: str, filter_string: str, order_by: tuple[str, ...], limit: int,
            page_token: str | None, since: str | None, until: str | None,
            project: str | None) -> dict:  # fmt: skip
    """One page of ``POST /api/v1/{kind}/search`` with the command's options."""
    from spanwise import Client

    body = {"filter": filter_string or None, "order_by": list(order_by) or None,
            "max_results": limit, "page_token": page_token, "since": since, "until": until,
            "project": project}  # fmt: skip
    return Client(url)._request("POST", f"/api/v1/{kind}/search", body=body)


_WHERE = "(check the filter, --project and --since/--until)"


def _more(token: str | None) -> None:
    from .render import more

    more(token)


@traces.command("search")
@click.argument("filter_string", required=False, default="")
@url_option
@_format_options
@_window_options
@_page_options
@api_errors
def traces_search(filter_string: str, url: str, as_json: bool, as_csv: bool, since: str | None,
                  until: str | None, project: str | None, order_by: tuple[str, ...], limit: int,
                  page_token: str | None) -> None:  # fmt: skip
    """Traces matching FILTER (every trace if none), newest first unless --order-by.

    FILTER combines trace.*, span.*, tags.<key>, metadata.<key>, feedback.<name> and
    span.attributes.<key> with AND/OR/NOT; a wrong field lists the known ones.

    \b
    Examples:
      spanwise traces search "span.model = 'gpt-4o' AND trace.cost > 0.01" --since 1d
      spanwise traces search "trace.status = 'ERROR'" --order-by "trace.duration_ms DESC"
      spanwise traces search "tags.env = 'prod'" --json | jq -r '.traces[].info.trace_id'
    """
    payload = _search(url, "traces", filter_string, order_by, limit, page_token, since, until,
                      project)  # fmt: skip
    infos = [t["info"] for t in payload["traces"]]
    if as_json:
        print_json(payload)
    elif as_csv:
        from ..search import TRACE_FIELDS

        _write_csv(infos, list(TRACE_FIELDS))
    else:
        from spanwise import TraceInfo

        from .render import TRACE_DROP_FIRST, print_table, traces_table

        print_table(traces_table(TraceInfo.from_dict(i) for i in infos), TRACE_DROP_FIRST,
                    empty=f"no traces match {_WHERE}")  # fmt: skip
        _more(payload.get("next_page_token"))


@click.group()
def spans() -> None:
    """Search spans (e.g. every LLM call of a model)."""


_SPAN_COLUMNS = ["trace_id", "span_id", "name", "span_type", "status", "start_time_ns",
                 "duration_ms", "model", "provider", "input_tokens", "output_tokens", "cost",
                 "cost_status", "project", "session_id", "user_id"]  # fmt: skip


@spans.command("search")
@click.argument("filter_string", required=False, default="")
@url_option
@_format_options
@_window_options
@_page_options
@api_errors
def spans_search(filter_string: str, url: str, as_json: bool, as_csv: bool, since: str | None,
                 until: str | None, project: str | None, order_by: tuple[str, ...], limit: int,
                 page_token: str | None) -> None:  # fmt: skip
    """Spans matching FILTER (every span if none), newest first unless --order-by.

    \b
    Examples:
      spanwise spans search "span.type = 'LLM' AND span.model = 'gpt-4o'" --since 1d
      spanwise spans search "span.status = 'ERROR'" --order-by "span.duration_ms DESC"
    """
    payload = _search(url, "spans", filter_string, order_by, limit, page_token, since, until,
                      project)  # fmt: skip
    rows = payload["spans"]
    if as_json:
        print_json(payload)
    elif as_csv:
        _write_csv(rows, _SPAN_COLUMNS)
    else:
        from .render import print_table, rows_table

        columns = ["name", "span_type", "status", "duration_ms", "model", "input_tokens",
                   "output_tokens", "cost", "trace_id"]  # fmt: skip
        print_table(rows_table(rows, columns), empty=f"no spans match {_WHERE}")
        _more(payload.get("next_page_token"))


@click.group()
def sessions() -> None:
    """Sessions (conversations): list them, or read one in order."""


_SESSION_COLUMNS = ["session_id", "trace_count", "first_time_ms", "last_time_ms", "duration_ms",
                    "input_tokens", "output_tokens", "cost", "error_count", "user_id",
                    "project"]  # fmt: skip


@sessions.command("list")
@click.argument("filter_string", required=False, default="")
@url_option
@_format_options
@_window_options
@click.option("--limit", "--max-results", "limit", default=20, show_default=True, type=click.IntRange(1, 1000),
              help="Sessions per page (--page-token reads the next).")  # fmt: skip
@click.option("--page-token", default=None, help="next_page_token of a previous page.")
@api_errors
def sessions_list(filter_string: str, url: str, as_json: bool, as_csv: bool, since: str | None,
                  until: str | None, project: str | None, limit: int,
                  page_token: str | None) -> None:  # fmt: skip
    """Sessions with totals, newest first; FILTER (optional) selects the traces counted."""
    from spanwise import Client

    params = {"filter": filter_string or None, "since": since, "until": until,
              "project": project, "max_results": limit, "page_token": page_token}  # fmt: skip
    payload = Client(url)._request("GET", "/api/v1/sessions", params=params)
    if as_json:
        print_json(payload)
    elif as_csv:
        _write_csv(payload["sessions"], _SESSION_COLUMNS)
    else:
        from .render import print_table, rows_table

        print_table(rows_table(payload["sessions"], _SESSION_COLUMNS[:2] + _SESSION_COLUMNS[4:]),
                    empty=f"no sessions match {_WHERE}")  # fmt: skip
        _more(payload.get("next_page_token"))


@sessions.command("get")
@click.argument("session_id")
@url_option
@_format_options
@api_errors
def sessions_get(session_id: str, url: str, as_json: bool, as_csv: bool) -> None:
    """The traces of one session, oldest first, with its totals."""
    import urllib.parse

    from spanwise import Client

    payload = Client(url)._request(
        "GET", f"/api/v1/sessions/{urllib.parse.quote(session_id, safe='')}"
    )
    infos = [t["info"] for t in payload["traces"]]
    if as_json:
        print_json(payload)
    elif as_csv:
        from ..search import TRACE_FIELDS

        _write_csv(infos, list(TRACE_FIELDS))
    else:
        from spanwise import TraceInfo

        from .render import TRACE_DROP_FIRST, print_table, rows_table, traces_table

        print_table(rows_table([payload["session"]], _SESSION_COLUMNS[:2] + _SESSION_COLUMNS[4:]))
        print_table(traces_table(TraceInfo.from_dict(i) for i in infos), TRACE_DROP_FIRST)


@click.command()
@url_option
@_format_options
@_window_options
@click.option(
    "--group-by",
    default="",
    help="Comma-separated: model, provider, span_name, span_type, trace_name, project, user, "
    "session, tag:<key>, hour, day; with --level trace also feedback:<name>.",
)
@click.option("--metrics", default="", help="Comma-separated; default all.")
@click.option("--filter", "filter_string", default=None,
              help="Only what this filter matches (the search's filter language), "
                   "e.g. \"span.model = 'gpt-4o'\".")  # fmt: skip
@click.option("--level", type=click.Choice(["span", "trace"]), default="span", show_default=True,
              help="Rows are spans, or whole traces (their totals; allows feedback:<name>).")  # fmt: skip
@api_errors
def analytics(url: str, as_json: bool, as_csv: bool, since: str | None, until: str | None,
              project: str | None, group_by: str, metrics: str, filter_string: str | None,
              level: str) -> None:  # fmt: skip
    """Count, cost, tokens, latency p50/p90/p99 and error rate, grouped.

    \b
    Examples:
      spanwise analytics --group-by model,day --since 7d
      spanwise analytics --level trace --group-by feedback:helpful --metrics count,cost
    """
    from spanwise import Client

    body = {
        "group_by": [k.strip() for k in group_by.split(",") if k.strip()],
        "metrics": [m.strip() for m in metrics.split(",") if m.strip()] or None,
        "since": since, "until": until, "project": project, "filter": filter_string,
        "level": level,
    }  # fmt: skip
    payload = Client(url)._request("POST", "/api/v1/analytics", body=body)
    rows = [{**r["key"], **{k: v for k, v in r.items() if k != "key"}} for r in payload["rows"]]
    columns = [*payload["group_by"], *payload["metrics"]]
    if as_json:
        print_json(payload)
    elif as_csv:
        _write_csv(rows, columns)
    else:
        from .render import print_table, rows_table

        print_table(rows_table(rows, columns, title=f"{level} analytics"),
                    empty=f"no {level}s match {_WHERE}")  # fmt: skip
