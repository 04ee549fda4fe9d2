"""``spanwise costs``, ``spanwise pricing unknown`` and ``spanwise reprice``."""

from __future__ import annotations

import os

import click
from click.core import ParameterSource
from spanwise_pricing.cli import pricing

from .common import api_errors, json_option, print_json, url_option, with_scheme

__all__ = ["costs", "pricing", "reprice"]


@click.command()
@url_option
@json_option
@click.option(
    "--group-by",
    default="model",
    show_default=True,
    help="Comma-separated: model, provider, project, day, user, session, tag:<key>.",
)
@click.option("--since", default="7d", show_default=True, help="ISO date/datetime or 7d/12h/30m.")
@click.option("--until", default=None, help="ISO date/datetime or relative; default now.")
@click.option("--project", default=None, help="Only calls of this project.")
@api_errors
def costs(
    url: str, as_json: bool, group_by: str, since: str, until: str | None, project: str | None
) -> None:
    """What LLM calls cost: totals grouped by model, day, user, tag… (each call counted once)."""
    from spanwise import Client

    keys = [k.strip() for k in group_by.split(",") if k.strip()]
    summary = Client(url).cost_summary(group_by=keys, since=since, until=until, project=project)
    if as_json:
        from dataclasses import asdict

        print_json(asdict(summary))
        return
    from .render import COST_DROP_FIRST, costs_table, print_table

    print_table(costs_table(summary), COST_DROP_FIRST)


@pricing.command("unknown")
@url_option
@json_option
@click.option("--since", default="30d", show_default=True, help="ISO date/datetime or 30d/12h.")
@click.option("--limit", "--max-results", "limit", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help="At most this many model names.")  # fmt: skip
@click.option("--project", default=None, help="Only calls of this project.")
@api_errors
def unknown(url: str, as_json: bool, since: str, limit: int, project: str | None) -> None:
    """Model names the collector saw without a price, most frequent first."""
    from rich.table import Table
    from spanwise import Client

    payload = Client(url)._request(
        "GET", "/api/v1/pricing/unknown",
        params={"since": since, "limit": limit, "project": project},
    )  # fmt: skip
    if as_json:
        print_json(payload)
        return
    from .render import console, print_table

    if not payload["models"]:
        console().print(f"No calls without a price since {payload['since'][:19]} UTC.")  # as costs
        return
    table = Table(title="models without a price (add them with --prices FILE)")
    for column in ("model", "provider", "calls", "input tok", "output tok"):
        table.add_column(
            column, justify="right" if "tok" in column or column == "calls" else "left"
        )
    for m in payload["models"]:
        table.add_row(
            m["model"] or "(no model name)", m["provider"] or "", str(m["calls"]),
            f"{m['input_tokens']:,}", f"{m['output_tokens']:,}",
        )  # fmt: skip
    print_table(table)


@click.command()
@click.option("--since", required=True, help="Reprice calls from this ISO date/datetime on.")
@click.option("--model", default=None, help="Only calls of this model name (as stored).")
@click.option(
    "--url",
    default=None,
    callback=with_scheme,
    envvar="SPANWISE_API_URL",
    help="A running collector: reprice with ITS prices (its --prices files).",
)
@click.option(
    "--store",
    default=None,
    help="Or open a store directly (no collector may be running on a chDB directory).",
)
@click.option(
    "--prices",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="With --store: price override files, as given to the collector.",
)
@json_option
@api_errors
def reprice(
    since: str,
    model: str | None,
    url: str | None,
    store: str | None,
    prices: tuple[str, ...],
    as_json: bool,
) -> None:
    """Recompute stored costs after a price correction (new span versions, no mutations)."""
    if store:
        url_source = click.get_current_context().get_parameter_source("url")
        if url_source is ParameterSource.COMMANDLINE:  # the env default may stay set
            raise click.UsageError("give --url (a running collector) or --store, not both")
        report = _reprice_store(store, prices, since, model)
    else:
        from spanwise import Client

        if prices:
            raise click.UsageError("--prices goes with --store; a collector uses its own")
        client = Client(url or "http://127.0.0.1:4318")
        report = client._request(
            "POST", "/api/v1/pricing/reprice", body={"since": since, "model": model}
        )
    if as_json:
        print_json(report)
        return
    click.echo(
        f"Repriced {report['spans_repriced']} of {report['spans_checked']} calls in "
        f"{report['traces']} traces: ${report['cost_before']} → ${report['cost_after']}"
    )


def _reprice_store(store: str, prices: tuple[str, ...], since: str, model: str | None) -> dict:
    from datetime import UTC, datetime

    from spanwise_pricing import PriceBook

    from ..costs.reprice import reprice as run
    from ..query.costs import parse_time
    from ..query.errors import QueryError
    from ..store import StoreError, open_store
    from ..store.location import parse_store

    try:
        start = parse_time(since, default=datetime.now(UTC), name="--since")
        book = PriceBook.load(overrides=prices)
        location = parse_store(store)
        # A mistyped directory used to become a new empty store, "Repriced 0 of 0".
        if location.kind == "chdb" and not os.path.isdir(location.path):
            raise click.ClickException(
                f"no store at {location.path}: give the --store your collector uses"
            )
        opened = open_store(store)
    except (QueryError, ValueError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        return run(opened, book, start, model).to_json()
    finally:
        opened.close()
