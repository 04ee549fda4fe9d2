"""Options and helpers shared by the query commands."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click


def with_scheme(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # "localhost:4318" is what people type (as for curl); urllib would call it an
    # "unknown url type" and the error would ask whether the collector is running.
    if value and "://" not in value:
        return f"http://{value}"
    return value


url_option = click.option(
    "--url",
    envvar="SPANWISE_API_URL",
    default="http://127.0.0.1:4318",
    show_default=True,
    callback=with_scheme,
    help="The collector's HTTP API (env SPANWISE_API_URL).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def api_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn API errors into one red line and exit status 1 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from spanwise import SpanwiseAPIError

        try:
            return func(*args, **kwargs)
        except SpanwiseAPIError as err:
            click.secho(f"error: {err}", fg="red", err=True)
            sys.exit(1)

    return wrapper


def path_id(value: str, param: str) -> str:
    """An id argument as one URL path segment: quoted ("?" or "/" in it must not change the
    request), never empty (GET /traces/ is the trace list: a KeyError traceback)."""
    import urllib.parse

    if not value.strip():
        raise click.BadParameter("must not be empty", param_hint=param)
    return urllib.parse.quote(value, safe="")


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def key_values(pairs: tuple[str, ...], option: str) -> dict[str, str] | None:
    """``KEY=VALUE`` options (``--tag``, ``--metadata``) as a dict; ``None`` if none."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint=option)
        out[key] = value
    return out or None


def when(ms: int) -> str:
    """Epoch milliseconds as a UTC time for tables."""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
