"""``--yes`` / ``-y`` and the question the destructive commands ask without it."""

from __future__ import annotations

import sys

import click

yes_option = click.option(
    "--yes", "-y", is_flag=True, help="Do not ask first (needed when input is not a terminal)."
)


def confirm(question: str) -> None:
    """Ask on stderr; any answer but yes exits 1 having changed nothing. Without an
    answer (a script, a pipe) click printed a bare "Aborted!": the error names --yes."""
    try:
        answer = click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo("", err=True)
        click.secho("error: no answer, nothing deleted; pass --yes to skip the question",
                    fg="red", err=True)  # fmt: skip
        sys.exit(1)
    if not answer:
        click.echo("nothing deleted", err=True)
        sys.exit(1)
