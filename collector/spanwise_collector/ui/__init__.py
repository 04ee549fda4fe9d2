"""A read-only web UI served by the collector: HTML pages over the same queries as the
JSON API (traces, sessions, experiments and runs, datasets, prompts, costs)."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from . import catalog, compare, feedback, runs, traces
from .layout import esc, page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/")
@router.get("/ui")
async def home() -> RedirectResponse:
    return RedirectResponse("/ui/traces")


for _part in (traces.router, runs.router, compare.router, catalog.router, feedback.router):
    router.include_router(_part)


# Last: a mistyped or cut /ui address (a run id with a '/') gets the UI's page, not JSON;
# a trailing slash still leads to the page without it.
@router.get("/ui/{rest:path}", response_class=HTMLResponse)
async def unknown_page(rest: str) -> Response:
    if not rest or rest.endswith("/"):
        return RedirectResponse(("/ui/" + rest).rstrip("/"))
    return page("Not found", f'<div class="error">no page at /ui/{esc(rest)}</div>', status=404)
