"""``spanwise experiments list``, ``spanwise runs search|get``."""

from __future__ import annotations

import datetime as dt
import math

import click

from .common import api_errors, json_option, path_id, print_json, url_option

MAX_COLUMNS = 8  # metric/param columns shown in the runs table


@click.group()
def experiments() -> None:
    """Read experiments from a collector."""


@experiments.command("list")
@url_option
@json_option
@click.option("--filter", "filter_string", default="", help="e.g. \"name LIKE 'house%'\".")
@click.option("--max-results", "--limit", "max_results", default=100, show_default=True, type=click.IntRange(1, 50_000),
              help="Experiments per page (--page-token reads the next).")  # fmt: skip
@click.option("--page-token", default=None, help="next_page_token of a previous page.")
@api_errors
def list_experiments(url: str, as_json: bool, filter_string: str, max_results: int,
                     page_token: str | None) -> None:  # fmt: skip
    """Experiments, newest first."""
    from spanwise import Client

    payload = Client(url)._request(
        "GET",
        "/api/v1/experiments",
        params={
            "filter_string": filter_string or None,
            "max_results": max_results,
            "page_token": page_token,
        },
    )
    if as_json:
        print_json(payload)
        return
    from rich.table import Table

    from .render import more, print_table

    table = Table(header_style="bold")
    for column in ("experiment id", "name", "created", "tags"):
        table.add_column(column, no_wrap=column != "tags")
    for e in payload["experiments"]:
        tags = ", ".join(f"{k}={v}" for k, v in sorted(e["tags"].items()))
        table.add_row(e["experiment_id"], e["name"], _time(e["creation_time"]), tags)
    print_table(table, empty="no experiments" + (" match --filter" if filter_string else ""))
    more(payload.get("next_page_token"))  # the list was cut at --limit without a word


@click.group()
def runs() -> None:
    """Search and read experiment runs."""


@runs.command("search")
@url_option
@json_option
@click.option("--experiment", "experiments_", multiple=True, help="Experiment name (repeatable); "
              "default: all experiments.")  # fmt: skip
@click.option("--filter", "filter_string", default="",
              help="MLflow-style filter, e.g. \"metrics.rmse < 30000 AND params.max_depth = '8'\".")  # fmt: skip
@click.option("--order-by", multiple=True, help='e.g. "metrics.rmse ASC" (repeatable).')
@click.option("--max-results", "--limit", "max_results", default=50, show_default=True, type=click.IntRange(1, 50_000),
              help="Runs per page (--page-token reads the next).")  # fmt: skip
@click.option("--page-token", default=None, help="next_page_token of a previous page.")
@api_errors
def search_cmd(url: str, as_json: bool, experiments_: tuple[str, ...], filter_string: str,
               order_by: tuple[str, ...], max_results: int, page_token: str | None) -> None:  # fmt: skip
    """Runs matching a filter, as a table (params and metrics as columns)."""
    from spanwise import Client, SpanwiseAPIError

    client = Client(url)
    experiment_ids = []
    for name in experiments_:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise SpanwiseAPIError(404, f"no experiment named {name!r}")
        experiment_ids.append(found.experiment_id)
    body = {"experiment_ids": experiment_ids, "filter_string": filter_string,
            "order_by": list(order_by), "max_results": max_results, "page_token": page_token}  # fmt: skip
    payload = client._request("POST", "/api/v1/runs/search", body=body)
    if as_json:
        print_json(payload)
        return
    from spanwise import Run

    from .render import more, print_table

    print_table(runs_table([Run.from_dict(r) for r in payload["runs"]]), ("start", "status"),
                empty="no runs match (check --filter and --experiment)")  # fmt: skip
    more(payload.get("next_page_token"))


@runs.command("get")
@click.argument("run_id")
@url_option
@json_option
@api_errors
def get_cmd(run_id: str, url: str, as_json: bool) -> None:
    """One run: status, times, params, latest metrics, tags."""
    from spanwise import Client, Run

    payload = Client(url)._request("GET", f"/api/v1/runs/{path_id(run_id, 'RUN_ID')}")
    if as_json:
        print_json(payload)
        return
    from rich.table import Table
    from rich.text import Text

    from .render import console

    run = Run.from_dict(payload)
    info = run.info
    out = console()
    out.print(Text.assemble((f"run {info.run_id}", "bold"), f"  {info.run_name}  ",
                            _status(info.status)))  # fmt: skip
    out.print(f"experiment {info.experiment_id}  started {_time(info.start_time)}  "
              f"ended {_time(info.end_time)}")  # fmt: skip
    for title, values in (("params", run.data.params), ("metrics", run.data.metrics),
                          ("tags", run.data.tags)):  # fmt: skip
        if not values:
            continue
        table = Table(title=title, header_style="bold", title_justify="left")
        table.add_column("key")
        table.add_column("value")
        for key, value in sorted(values.items()):
            table.add_row(key, _exact(value) if isinstance(value, float) else str(value))
        out.print(table)


def runs_table(items: list) -> object:  # list[spanwise.Run]
    from rich.table import Table

    metric_keys = sorted({k for r in items for k in r.data.metrics})[:MAX_COLUMNS]
    param_keys = sorted({k for r in items for k in r.data.params})[:MAX_COLUMNS]
    table = Table(header_style="bold")
    table.add_column("run id", no_wrap=True)
    for column in ("name", "status", "start"):
        table.add_column(column)
    # metrics before params, as MLflow's search_runs frame has them: on a narrow terminal
    # columns go from the right (render.fit), and metrics are what runs are compared on
    for key in metric_keys:
        table.add_column(f"metrics.{key}", justify="right")
    for key in param_keys:
        table.add_column(f"params.{key}")
    for run in items:
        info = run.info
        table.add_row(
            info.run_id, info.run_name, _status(info.status), _time(info.start_time),
            *(_num(run.data.metrics[k]) if k in run.data.metrics else "" for k in metric_keys),
            *(run.data.params.get(k, "") for k in param_keys),
        )  # fmt: skip
    return table


def _status(status: str) -> object:  # a rich Text
    from rich.text import Text

    style = {"FINISHED": "green", "FAILED": "bold red", "RUNNING": "yellow"}.get(status, "dim")
    return Text(status, style=style)


def _time(ms: int | None) -> str:
    if ms is None:
        return "-"
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _num(value: float) -> str:
    """Compact, for the columns of the runs table (``runs get`` shows ``_exact``)."""
    return str(value) if not math.isfinite(value) else f"{value:.6g}"


def _exact(value: float) -> str:
    """The value as logged (shortest round-trip form): one run's page must not show
    26000.25 as 26000.2; whole numbers without ``.0`` or an exponent (up to 2**53)."""
    if math.isfinite(value) and value.is_integer() and abs(value) <= 2**53:
        return str(int(value))
    return repr(value)
