"""``/api/v1/traces/{trace_id}/assessments``: feedback and expectations of a trace
(MLflow's assessments, Langfuse's scores): log, list, update, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Response
from starlette.concurrency import run_in_threadpool

from .. import assessments as a
from ..store import ClickHouseStore
from .deps import get_store

router = APIRouter(prefix="/api/v1/traces/{trace_id}/assessments", tags=["assessments"])

_BODY = Body(
    ...,
    examples=[
        {
            "kind": "feedback",
            "name": "helpful",
            "value": True,
            "source": {"source_type": "HUMAN", "source_id": "user-42"},
            "rationale": "answered the question",
        }
    ],
)


@router.post("", status_code=201, summary="Log feedback or an expectation about the trace")
async def log_assessment(
    trace_id: str, body: Any = _BODY, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    item = a.parse_input(body)
    return await run_in_threadpool(a.log_assessment, store, trace_id, item)


@router.get("", summary="The trace's assessments, oldest first")
async def list_assessments(
    trace_id: str, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    return {"assessments": await run_in_threadpool(a.list_assessments, store, trace_id)}


@router.patch("/{assessment_id}", summary="Change an assessment's value, rationale or metadata")
async def update_assessment(
    trace_id: str,
    assessment_id: str,
    body: Any = Body(...),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    change = a.parse_update(body)
    return await run_in_threadpool(a.update_assessment, store, trace_id, assessment_id, change)


@router.delete("/{assessment_id}", status_code=204, summary="Delete an assessment")
async def delete_assessment(
    trace_id: str, assessment_id: str, store: ClickHouseStore = Depends(get_store)
) -> Response:
    await run_in_threadpool(a.delete_assessment, store, trace_id, assessment_id)
    return Response(status_code=204)


batch_router = APIRouter(prefix="/api/v1/assessments", tags=["assessments"])


@batch_router.post(
    "", status_code=201, summary="Log many assessments of any traces at once (all or nothing)"
)
async def log_assessments(
    body: Any = Body(..., examples=[{"assessments": [
        {"trace_id": "0123456789abcdef0123456789abcdef", "kind": "feedback", "name": "exact",
         "value": True, "source": {"source_type": "CODE", "source_id": "exact"}},
    ]}]),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:  # fmt: skip
    items = a.parse_batch(body)
    return {"assessments": await run_in_threadpool(a.log_assessments, store, items)}
