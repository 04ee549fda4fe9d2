"""Search and analytics endpoints: traces, spans, sessions, aggregates (issue 6)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from .. import search
from ..query.errors import NotFound
from ..search.window import MAX_RESULTS
from ..store import ClickHouseStore
from .deps import get_store

router = APIRouter(prefix="/api/v1", tags=["search"])

_FILTER = (
    "Filter string, e.g. span.model = 'gpt-4o' AND trace.cost > 0.01 "
    "(fields: trace.*, span.*, tags.<key>, metadata.<key>, span.attributes.<key>, trace.text,"
    " feedback.<name>)"
)
_TIME = "ISO date/datetime (UTC if no zone), epoch milliseconds, or relative: 30m, 12h, 7d"


class _Window(BaseModel):
    # A misspelt key (MLflow's "filter_string" for "filter") must not go unnoticed: ignored,
    # it returned every trace as if it had matched.
    model_config = {"extra": "forbid"}

    filter: str | None = Field(default=None, max_length=10_000, description=_FILTER)
    since: str | None = Field(default=None, max_length=100, description=_TIME)
    until: str | None = Field(default=None, max_length=100, description=_TIME)
    project: str | None = Field(default=None, max_length=1_000)


class _Search(_Window):
    order_by: list[str] | None = Field(
        default=None, max_length=10, description='e.g. ["trace.cost DESC"]; default newest first'
    )
    page_token: str | None = Field(default=None, max_length=4_096)
    max_results: int = Field(default=100, ge=1, le=MAX_RESULTS)


class TraceSearchRequest(_Search):
    fields: list[str] | None = Field(
        default=None, max_length=len(search.TRACE_FIELDS),
        description=f"info fields to return: {', '.join(search.TRACE_FIELDS)}",
    )  # fmt: skip
    include_spans: bool = False


class SpanSearchRequest(_Search):
    fields: list[str] | None = Field(
        default=None, max_length=len(search.SPAN_FIELDS),
        description=f"span fields to return: {', '.join(search.SPAN_FIELDS)}",
    )  # fmt: skip


class AnalyticsRequest(_Window):
    group_by: list[str] = Field(
        default_factory=list, max_length=5, description=f"any of {', '.join(search.GROUP_KEYS)}"
    )
    metrics: list[str] | None = Field(
        default=None, max_length=len(search.METRICS),
        description=f"default all: {', '.join(search.METRICS)}",
    )  # fmt: skip
    level: Literal["span", "trace"] = "span"
    limit: int = Field(default=1000, ge=1, le=10_000)


@router.post("/traces/search", summary="Search traces: filter, order, time window, pages")
async def search_traces(
    body: TraceSearchRequest, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    return await run_in_threadpool(lambda: search.search_traces(store, **body.model_dump()))


@router.post("/spans/search", summary="Search spans (e.g. every LLM call of a model)")
async def search_spans(
    body: SpanSearchRequest, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    return await run_in_threadpool(lambda: search.search_spans(store, **body.model_dump()))


@router.get("/sessions", summary="Sessions with per-session totals, newest first")
async def list_sessions(
    filter: str | None = Query(None, max_length=10_000, description=_FILTER),
    since: str | None = Query(None, max_length=100, description=_TIME),
    until: str | None = Query(None, max_length=100, description=_TIME),
    project: str | None = Query(None, max_length=1_000),
    page_token: str | None = Query(None, max_length=4_096),
    max_results: int = Query(100, ge=1, le=MAX_RESULTS),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    return await run_in_threadpool(
        lambda: search.list_sessions(
            store,
            filter=filter,
            since=since,
            until=until,
            project=project,
            page_token=page_token,
            max_results=max_results,
        )
    )


# :path: session ids are free text and may hold "/" (clients send it as %2F, which the
# server decodes before routing)
@router.get(
    "/sessions/{session_id:path}", summary="The traces of one session in order, with totals"
)
async def get_session(
    session_id: str, include_spans: bool = False, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    found = await run_in_threadpool(search.get_session, store, session_id, include_spans)
    if found is None:
        raise NotFound(f"no session with id {session_id}")
    return found


@router.post("/analytics", summary="Count, cost, tokens, latency quantiles, error rate, grouped")
async def analytics(
    body: AnalyticsRequest, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    return await run_in_threadpool(lambda: search.analytics(store, **body.model_dump()))
