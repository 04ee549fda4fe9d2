"""The pages' shell and the small pieces every page uses: escaping, links, tables,
numbers. Every value from stored data goes through ``esc`` (or a helper that calls it)
before it reaches the HTML: span names, inputs and tags are user data."""

from __future__ import annotations

import functools
import html
import json
import logging
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from fastapi.responses import HTMLResponse

from ..filters import FilterError
from ..query.errors import NotFound, QueryError
from ..store import StoreError

__all__ = [
    "cost",
    "esc",
    "html_errors",
    "invalid_params_page",
    "json_block",
    "link",
    "ms",
    "page",
    "q",
    "table",
    "when",
]  # fmt: skip

logger = logging.getLogger("spanwise.collector")

NAV = (("Traces", "/ui/traces"), ("Sessions", "/ui/sessions"), ("Experiments", "/ui/experiments"),
       ("Datasets", "/ui/datasets"), ("Prompts", "/ui/prompts"), ("Feedback", "/ui/feedback"),
       ("Costs", "/ui/costs"))  # fmt: skip

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f7f8fa}
nav{background:#1d2330;padding:.6em 1.2em;display:flex;gap:1.4em;align-items:baseline}
nav a{color:#cfd6e4;text-decoration:none}nav a.on,nav a:hover{color:#fff}
nav b{color:#fff;margin-right:1em}nav small{color:#7d879a;margin-left:auto}
main{padding:1em 1.4em}h1{font-size:1.3em;margin:.3em 0 .6em}h2{font-size:1.1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;background:#fff;width:100%;margin:.4em 0}
th,td{padding:.3em .6em;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}
th{background:#eef0f4;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre,.id{font-family:ui-monospace,monospace;font-size:12.5px}
pre{background:#fff;border:1px solid #e3e6ec;padding:.5em;white-space:pre-wrap;margin:.3em 0}
a{color:#2457c5}.ERROR,.err{color:#c0322b;font-weight:600}.OK{color:#2a7d3f}
form{margin:.2em 0 .8em;display:flex;gap:.5em}form.pick{display:block}input[type=text]{flex:1;padding:.35em}
.error{background:#fdecea;border:1px solid #f5c2bd;padding:.6em;margin:.6em 0}
.kv span{display:inline-block;margin:0 1.2em .3em 0}.kv b{color:#5b6474;font-weight:500}
ul.tree{list-style:none;padding-left:1.3em;border-left:1px dotted #c5cad4;margin:0}
ul.tree.root{border:none;padding-left:0}li{margin:.25em 0}.muted{color:#7d879a}
details{margin:.15em 0 .15em 1em}summary{cursor:pointer;color:#5b6474}
.charts{display:flex;flex-wrap:wrap;gap:.8em}figure.chart{margin:0;background:#fff;
border:1px solid #e3e6ec;padding:.4em;width:min(100%,560px)}figcaption{font-weight:600}
figcaption span{font-weight:400;margin-left:.6em}svg{width:100%;height:auto}
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def q(value: str) -> str:
    """A value as one URL path segment."""
    return urllib.parse.quote(value, safe="")


def link(href: str, text: Any, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f'<a href="{esc(href)}"{attr}>{esc(text)}</a>'


def when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def cost(value: Decimal | None) -> str:
    return "" if value is None else f"${value:.6f}".rstrip("0").rstrip(".")


def json_block(value: Any) -> str:
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, indent=2, ensure_ascii=False, default=str)
    )
    return f"<pre>{esc(text)}</pre>"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[int] = (),
    html_headers: bool = False,
) -> str:
    """Rows of cells that are already HTML (escaped by the caller); headers are text,
    or HTML too with ``html_headers`` (links to runs)."""
    head = "".join(f"<th>{h if html_headers else esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )  # fmt: skip
    if not body:
        body = f'<tr><td colspan="{len(headers)}" class="muted">nothing here yet</td></tr>'
    return f"<table><tr>{head}</tr>{body}</table>"


def page(title: str, body: str, section: str = "", status: int = 200) -> HTMLResponse:
    from .. import __version__

    nav = "".join(
        f'<a href="{href}"{" class=on" if name == section else ""}>{name}</a>' for name, href in NAV
    )
    doc = (
        f"<!doctype html><html><head><meta charset=utf-8><title>{esc(title)} · Spanwise</title>"
        f"<meta name=viewport content='width=device-width'><style>{CSS}</style></head><body>"
        f"<nav><b>Spanwise</b>{nav}<small>collector {esc(__version__)}</small></nav>"
        f"<main><h1>{esc(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(doc, status_code=status)


def html_errors(section: str) -> Callable:
    """Errors of a page's query as an HTML page with the message (the JSON API maps the
    same errors to JSON): bad filter or time 400, unknown object 404, store down 503."""

    def wrap(handler: Callable[..., Awaitable[HTMLResponse]]) -> Callable:
        @functools.wraps(handler)
        async def run(*args: Any, **kwargs: Any) -> HTMLResponse:
            try:
                return await handler(*args, **kwargs)
            except (QueryError, FilterError) as exc:
                return page("Cannot show this", _message(exc), section, 400)
            except NotFound as exc:
                return page("Not found", _message(exc), section, 404)
            except StoreError as exc:
                logger.warning("UI query failed: %s", exc)
                return page("Store unavailable", _message(exc), section, 503)

        return run

    return wrap


def _message(exc: object) -> str:
    return f'<div class="error">{esc(exc)}</div>'


def invalid_params_page(errors: Sequence[dict[str, Any]]) -> HTMLResponse:
    """A page's query parameters that failed validation (a filter longer than the limit,
    a page token too long) as the HTML error page, not FastAPI's JSON (which would also
    echo the whole value back)."""
    lines = [
        f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}" for e in errors
    ]
    return page("Cannot show this", _message("; ".join(lines)), status=400)
