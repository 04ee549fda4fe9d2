"""``/api/v1/traces``: one trace as a tree, and the newest traces first (with optional
filter/order_by/since/until, the same search as ``POST /api/v1/traces/search``)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from ..assessments import trace_assessments
from ..query import traces as q
from ..query.errors import NotFound
from ..search import search_traces
from ..search.window import MAX_RESULTS
from ..store import ClickHouseStore
from .deps import get_store

router = APIRouter(prefix="/api/v1", tags=["traces"])


@router.get("/traces/{trace_id}", summary="One trace with all its spans")
async def get_trace(trace_id: str, store: ClickHouseStore = Depends(get_store)) -> dict[str, Any]:
    tid = q.validate_trace_id(trace_id)
    # Side by side: the engine runs both at once, so the assessments cost ~1 ms of a
    # trace by id instead of ~5 (in-process, 1M spans: 25.3 vs 24.1 ms p50 without them).
    trace, assessments = await asyncio.gather(
        run_in_threadpool(q.get_trace, store, tid),
        run_in_threadpool(trace_assessments, store, [tid]),
    )
    if trace is None:
        raise NotFound(f"no trace with id {trace_id}")
    trace["info"]["assessments"] = assessments.get(tid, [])
    return trace


@router.get("/traces", summary="Newest traces first, paged (POST /traces/search filters)")
async def list_traces(
    limit: int = Query(100, ge=1, le=MAX_RESULTS),
    page_token: str | None = Query(None, max_length=4_096),
    project: str | None = Query(None, max_length=1_000),
    include_spans: bool = False,
    filter: str | None = Query(None, max_length=10_000),
    order_by: list[str] | None = Query(None, max_length=10),
    since: str | None = Query(None, max_length=100),
    until: str | None = Query(None, max_length=100),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    return await run_in_threadpool(
        lambda: search_traces(
            store,
            filter=filter,
            order_by=order_by,
            since=since,
            until=until,
            page_token=page_token,
            max_results=limit,
            project=project,
            include_spans=include_spans,
        )
    )
