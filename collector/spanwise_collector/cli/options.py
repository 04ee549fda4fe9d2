"""Options shared by `spanwise collector` and `spanwise schema print`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..store.retention import MAX_DAYS, Retention, parse_project_retention

__all__ = ["cluster_option", "retention_from_options", "retention_options"]

cluster_option = click.option(
    "--cluster",
    default=None,
    envvar="SPANWISE_CLUSTER",
    metavar="NAME",
    help="ClickHouse cluster (remote_servers name): create tables ON CLUSTER as replicated "
    "local tables + Distributed tables sharded by trace id.",
)


def retention_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--retention",
        multiple=True,
        metavar="PROJECT=DAYS",
        help="Keep spans of PROJECT for DAYS days (repeatable); overrides --retention-days.",
    )(func)
    return click.option(
        "--retention-days",
        type=click.IntRange(0, MAX_DAYS),
        default=None,
        envvar="SPANWISE_RETENTION_DAYS",
        help="Keep spans this many days (0 = forever; default: leave the stored setting, "
        "forever for new tables). ClickHouse TTL drops whole daily parts; applies to spans "
        "written from now on.",
    )(func)


def retention_from_options(days: int | None, per_project: tuple[str, ...]) -> Retention | None:
    """None when neither option was given."""
    if days is None and not per_project:
        return None
    try:
        return Retention(days or 0, parse_project_retention(per_project))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--retention") from None
