"""``/api/v1/costs`` (grouped cost totals) and ``/api/v1/pricing/*`` (unknown models, reprice)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ..pipeline.pipeline import Pipeline
from ..query import costs as q
from ..query.errors import QueryError
from ..store import ClickHouseStore
from .deps import get_pipeline, get_store

router = APIRouter(prefix="/api/v1", tags=["costs"])


def _group_by(values: list[str]) -> list[str]:
    # Accept both ?group_by=model&group_by=day and ?group_by=model,day.
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


@router.get("/costs", summary="Cost, tokens and calls, grouped, within a time range")
async def costs(
    group_by: list[str] = Query(default=[], description=f"any of {', '.join(q.GROUP_KEYS)}"),
    since: str | None = Query(
        None, description="ISO date/datetime, epoch ms or 7d/12h (default 7d)"
    ),
    until: str | None = Query(None, description="same forms; default now"),
    project: str | None = None,
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    now = datetime.now(UTC)
    start = q.parse_time(since, default=now - timedelta(days=7), name="since")
    end = q.parse_time(until, default=now + timedelta(seconds=1), name="until")
    return await run_in_threadpool(q.cost_summary, store, _group_by(group_by), start, end, project)


@router.get("/pricing/unknown", summary="Model names seen without a price, most frequent first")
async def unknown(
    since: str | None = Query(None, description="default 30d"),
    limit: int = Query(100, ge=1, le=10_000),
    project: str | None = None,
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    start = q.parse_time(since, default=datetime.now(UTC) - timedelta(days=30), name="since")
    models = await run_in_threadpool(q.unknown_models, store, start, limit, project)
    return {"since": start.isoformat(), "models": models}


class RepriceRequest(BaseModel):
    since: str
    model: str | None = None


@router.post("/pricing/reprice", summary="Recompute stored costs with this collector's prices")
async def reprice(
    body: RepriceRequest,
    store: ClickHouseStore = Depends(get_store),
    pipeline: Pipeline = Depends(get_pipeline),
) -> dict[str, Any]:
    from ..costs import PricingProcessor
    from ..costs.reprice import reprice as run

    book = next((p.book for p in pipeline.processors if isinstance(p, PricingProcessor)), None)
    if book is None:
        raise QueryError("this collector does not price spans")
    start = q.parse_time(body.since, default=datetime.now(UTC), name="since")
    report = await run_in_threadpool(run, store, book, start, body.model)
    return report.to_json()
