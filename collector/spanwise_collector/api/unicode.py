"""Refuse JSON bodies holding lone surrogates (``"\\ud800"``): JSON allows the escape,
Python decodes it, but such text cannot be written as UTF-8 — the store would fail the
insert and the client would see a 503 for its own bad input. One check for every write
of the API, before any handler runs."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request

from ..query.errors import QueryError

__all__ = ["refuse_lone_surrogates"]

# A surrogate escape somewhere in the text: only then is the body parsed again.
_MAYBE = re.compile(rb"\\u[dD][89a-fA-F]")
_WRITES = frozenset({"POST", "PUT", "PATCH"})


def _lone(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_lone(k) or _lone(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone(v) for v in value)
    return False


async def refuse_lone_surrogates(request: Request) -> None:
    if request.method not in _WRITES or not request.url.path.startswith("/api/"):
        return
    body = await request.body()  # Starlette keeps it for the handler
    if not _MAYBE.search(body):
        return
    try:
        data = json.loads(body)
    except ValueError:
        return  # not JSON: the handler says so
    if _lone(data):
        raise QueryError(
            "the request holds invalid Unicode: a lone surrogate (e.g. \\ud800) that is "
            "not half of a pair; send text that UTF-8 can encode"
        )
