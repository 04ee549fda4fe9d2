"""``spanwise schema print``: the DDL the collector runs, for operators to apply."""

from __future__ import annotations

import sys

import click

from .options import cluster_option, retention_from_options, retention_options

__all__ = ["schema"]


@click.group()
def schema() -> None:
    """The storage schema (ClickHouse DDL)."""


@schema.command("print")
@cluster_option
@click.option(
    "--database", default="spanwise", show_default=True, help="Database to create the tables in."
)
@retention_options
def print_schema(
    cluster: str | None, database: str, retention_days: int | None, retention: tuple[str, ...]
) -> None:
    """Print the DDL; apply it with `clickhouse-client --multiquery < schema.sql`
    and start collectors with `--no-create-schema`."""
    from ..store.ddl_render import ClusterDDLError, SchemaTarget
    from ..store.migrations import schema_script
    from ..store.retention import Retention

    try:
        policy = retention_from_options(retention_days, retention) or Retention()
        target = SchemaTarget(database, cluster, policy)
        click.echo(schema_script(target), nl=False)
    except (ValueError, ClusterDDLError) as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)
