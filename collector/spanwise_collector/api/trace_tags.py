"""``/api/v1/traces/{trace_id}/tags``: set and remove a trace's tags after the fact
(MLflow's ``set_trace_tag``/``delete_trace_tag``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Response
from starlette.concurrency import run_in_threadpool

from ..query.errors import QueryError
from ..store import ClickHouseStore
from ..trace_tags.store import delete_trace_tags, set_trace_tags
from .deps import get_store

router = APIRouter(prefix="/api/v1/traces/{trace_id}/tags", tags=["traces"])


def _field(body: Any, name: str) -> Any:
    if not isinstance(body, dict) or set(body) != {name}:
        raise QueryError(f"the body must be a JSON object with exactly one field, {name!r}")
    return body[name]


@router.post("", summary="Set tags on the trace (new keys added, existing ones replaced)")
async def set_tags(
    trace_id: str,
    body: Any = Body(..., examples=[{"tags": {"reviewed": "yes", "quality": "golden"}}]),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    return await run_in_threadpool(set_trace_tags, store, trace_id, _field(body, "tags"))


@router.post("/delete", status_code=204, summary="Remove tags from the trace")
async def delete_tags(
    trace_id: str,
    body: Any = Body(..., examples=[{"keys": ["reviewed"]}]),
    store: ClickHouseStore = Depends(get_store),
) -> Response:
    await run_in_threadpool(delete_trace_tags, store, trace_id, _field(body, "keys"))
    return Response(status_code=204)


@router.delete("/{key:path}", status_code=204, summary="Remove one tag from the trace")
async def delete_tag(
    trace_id: str, key: str, store: ClickHouseStore = Depends(get_store)
) -> Response:
    await run_in_threadpool(delete_trace_tags, store, trace_id, [key])
    return Response(status_code=204)
