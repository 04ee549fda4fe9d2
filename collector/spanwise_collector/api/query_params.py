"""Refuse query parameters a read of the API does not take: ignored, a misspelt or
borrowed name (``?filter_string=`` for ``?filter=``, ``?max_results=`` where the
endpoint says ``limit``) answered as if it were not there: every trace, the default
page size. One check for every ``/api/v1`` endpoint, from the route's own parameters."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from ..query.errors import QueryError

__all__ = ["refuse_unknown_query_params"]

_KNOWN: dict[int, frozenset[str]] = {}  # by route: the query names it (and its dependencies) take


def _names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _names(sub)
    return names


async def refuse_unknown_query_params(request: Request) -> None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.url.path.startswith("/api/v1/"):
        return  # the Langfuse-compatible API and the UI take what their clients send
    known = _KNOWN.get(id(route))
    if known is None:
        known = _KNOWN[id(route)] = frozenset(_names(dependant))
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise QueryError(
            f"unknown query parameter {', '.join(map(repr, unknown))}; this endpoint takes "
            + (", ".join(sorted(known)) if known else "none")
        )
