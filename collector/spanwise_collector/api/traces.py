"""``/api/v1/traces``: one trace as a tree, and the newest traces first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from ..query import traces as q
from ..query.errors import NotFound
from ..store import ClickHouseStore
from .deps import get_store

router = APIRouter(prefix="/api/v1", tags=["traces"])


@router.get("/traces/{trace_id}", summary="One trace with all its spans")
async def get_trace(trace_id: str, store: ClickHouseStore = Depends(get_store)) -> dict[str, Any]:
    trace = await run_in_threadpool(q.get_trace, store, trace_id)
    if trace is None:
        raise NotFound(f"no trace with id {trace_id}")
    return trace


@router.get("/traces", summary="Newest traces first, paged")
async def list_traces(
    limit: int = Query(100, ge=1, le=q.MAX_PAGE),
    page_token: str | None = None,
    project: str | None = None,
    include_spans: bool = False,
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    return await run_in_threadpool(
        q.list_traces, store, limit=limit, page_token=page_token, project=project,
        include_spans=include_spans,
    )  # fmt: skip
