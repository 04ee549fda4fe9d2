"""`spanwise pricing ...`: refresh the built-in table, show a model's prices, check a user file."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from spanwise_pricing._internal.genai_prices import fmt_decimal
from spanwise_pricing._internal.parse import PriceFormatError
from spanwise_pricing.book import PriceBook, load_override_file
from spanwise_pricing.table import PRICE_KEYS, ModelPricing

__all__ = ["pricing"]

_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]


@click.group("pricing")
def pricing() -> None:
    """Price tables: import the built-in snapshot, show a model's prices, check an override file."""


@pricing.command("import")
@click.option(
    "--source",
    default="genai-prices",
    show_default=True,
    help="'genai-prices' (the installed package's data) or a genai-prices data.json FILE.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Price table directory to update (default: the package's built-in data).",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date a changed price takes effect from (default: today, UTC).",
)
def import_cmd(source: str, data_dir: Path | None, as_of: datetime | None) -> None:
    """Refresh the price table, keeping history: changed prices get a new dated version."""
    from spanwise_pricing.importer import import_prices

    try:
        report = import_prices(
            source, data_dir=data_dir, as_of=as_of.date() if as_of is not None else None
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Imported {report.source}: {report.providers} providers, {report.new_models} new models, "
        f"{report.changed_models} models with changed prices ({report.new_versions} new versions), "
        f"{report.kept_models} models kept that the source no longer lists."
    )
    written = ", ".join(report.files_written) if report.files_written else "none (no changes)"
    click.echo(f"Files written: {written}")


def _money(value) -> str:
    return "-" if value is None else f"${fmt_decimal(value)}"


@pricing.command("show")
@click.argument("model")
@click.option("--provider", default=None, help="Provider id, OTel gen_ai.system value or API host.")
@click.option(
    "--at", "at_", type=click.DateTime(formats=_DATE_FORMATS), default=None, help="Date (UTC)."
)
@click.option(
    "--prices",
    "price_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Override file(s), as given to the collector.",
)
@click.option("--project", default=None, help="Project whose scoped overrides apply.")
def show(
    model: str,
    provider: str | None,
    at_: datetime | None,
    price_files: tuple[str, ...],
    project: str | None,
) -> None:
    """Show which model MODEL matches, the price version in force and its prices."""
    try:
        book = PriceBook.load(overrides=price_files)
    except PriceFormatError as exc:
        raise click.ClickException(str(exc)) from exc
    found = book.lookup(provider, model, at=at_, project=project)  # None: now; naive: UTC
    console = Console()
    if found is None:
        # An error goes to stderr (scripts read stdout) and says what to try next.
        of = f" of provider {provider!r}" if provider else ""
        click.echo(
            f"error: unknown model {model!r}{of}: no price. Check the spelling, try --provider, "
            "or price it in an override file (spanwise pricing check FILE).",
            err=True,
        )
        sys.exit(1)
    match, version = found
    console.print(
        f"[bold]{model}[/bold] → model [bold]{match.model.id}[/bold] "
        f"(provider {match.provider or 'any'}, from {match.layer})"
    )
    console.print(
        f"price version [bold]{version.version}[/bold], in force since {version.valid_from}"
    )
    table = Table(title="USD per 1M tokens")
    table.add_column("usage type")
    table.add_column("price", justify="right")
    for tier in version.tiers:
        table.add_column(f"input > {tier.above_input_tokens:,}", justify="right")
    for key in PRICE_KEYS:
        base = version.prices.get(key)
        tier_values = [t.prices.get(key) for t in version.tiers]
        if base is None and all(v is None for v in tier_values):
            continue
        # The one row not per 1M tokens says so itself (a caption wrapped and showed always).
        label = "request (USD per call)" if key == "request" else key
        table.add_row(label, _money(base), *(_money(v) for v in tier_values))
    console.print(table)
    _print_history(console, match.model, version.version)


def _print_history(console: Console, model: ModelPricing, current: str) -> None:
    if len(model.versions) < 2:
        return
    history = Table(title="price history")
    history.add_column("valid from")
    history.add_column("version")
    history.add_column("input", justify="right")
    history.add_column("output", justify="right")
    for v in model.versions:
        mark = " (in force)" if v.version == current else ""
        history.add_row(
            str(v.valid_from),
            v.version + mark,
            _money(v.prices.get("input")),
            _money(v.prices.get("output")),
        )
    console.print(history)


@pricing.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def check(file: str) -> None:
    """Validate an override FILE; errors name the line and key."""
    try:
        overrides = load_override_file(file)
    except PriceFormatError as exc:
        click.echo(f"{exc.source}: {len(exc.errors)} error(s)", err=True)
        for err in exc.errors:
            click.echo(f"  {err}", err=True)
        sys.exit(1)
    book = PriceBook.builtin()
    problems = []
    scoped = [(None, m) for m in overrides.models] + [
        (name, m) for name, models in overrides.projects.items() for m in models
    ]
    for project, m in scoped:
        where = f"projects.{project}: " if project else ""
        if m.same_as is not None:
            target_provider, target = m.same_as
            if book.catalog.resolve(target_provider, target.lower()) is None:
                problems.append(
                    f"{where}model {m.id!r}: same_as {target!r} matches no built-in model"
                    + (f" of provider {target_provider!r}" if target_provider else "")
                )
                continue
            same = book.catalog.resolve(target_provider, target.lower())
            click.echo(
                f"ok  {where}{m.provider or '*'}/{m.id} (priced as {same.provider}/{same.id})"
            )
            continue
        shadowed = book.catalog.resolve(m.provider, m.id.lower())
        note = f" (overrides built-in {shadowed.provider}/{shadowed.id})" if shadowed else ""
        click.echo(f"ok  {where}{m.provider or '*'}/{m.id}{note}")
    if problems:
        for p in problems:
            click.echo(f"{Path(file).name}: {p}", err=True)
        sys.exit(1)
    click.echo(f"{Path(file).name}: {len(scoped)} model(s) valid")
