"""A read-only web UI served by the collector: HTML pages over the same queries as the
JSON API (traces, sessions, experiments and runs, datasets, prompts, costs)."""

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from . import catalog, compare, feedback, runs, traces

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/")
@router.get("/ui")
async def home() -> RedirectResponse:
    return RedirectResponse("/ui/traces")


for _part in (traces.router, runs.router, compare.router, catalog.router, feedback.router):
    router.include_router(_part)
