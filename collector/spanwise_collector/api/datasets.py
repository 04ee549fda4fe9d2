"""``/api/v1/datasets``: evaluation datasets and their records (MLflow's evaluation
datasets, Langfuse's and Phoenix's datasets): create, list, change, delete; merge,
page through and delete records."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Response
from starlette.concurrency import run_in_threadpool

from .. import datasets as ds
from ..store import ClickHouseStore
from .deps import get_store

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"])

_CREATE = Body(
    ..., examples=[{"name": "qa-golden", "description": "hand-checked answers", "tags": {}}]
)
_RECORDS = Body(
    ...,
    examples=[{"records": [
        {"inputs": {"question": "capital of France?"}, "expectations": {"answer": "Paris"}}
    ]}],
)  # fmt: skip


@router.post("", status_code=201, summary="Create a dataset (409 if the name is taken)")
async def create_dataset(
    body: Any = _CREATE, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    change = ds.parse_create(body)
    return await run_in_threadpool(ds.create_dataset, store, change)


@router.get("", summary="Every dataset, by name, with its record count")
async def list_datasets(store: ClickHouseStore = Depends(get_store)) -> dict[str, Any]:
    return {"datasets": await run_in_threadpool(ds.list_datasets, store)}


@router.get("/{name}", summary="One dataset with its record count")
async def get_dataset(name: str, store: ClickHouseStore = Depends(get_store)) -> dict[str, Any]:
    return await run_in_threadpool(ds.get_dataset, store, ds.validate_name(name))


@router.patch("/{name}", summary="Change a dataset's description or tags")
async def update_dataset(
    name: str, body: Any = Body(...), store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    change = ds.parse_update(body)
    return await run_in_threadpool(ds.update_dataset, store, ds.validate_name(name), change)


@router.delete("/{name}", status_code=204, summary="Delete a dataset and its records")
async def delete_dataset(name: str, store: ClickHouseStore = Depends(get_store)) -> Response:
    await run_in_threadpool(ds.delete_dataset, store, ds.validate_name(name))
    return Response(status_code=204)


@router.post("/{name}/records", summary="Add records, or update those with the same id")
async def merge_records(
    name: str, body: Any = _RECORDS, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    items = ds.parse_records(body)
    return await run_in_threadpool(ds.merge_records, store, ds.validate_name(name), items)


@router.get("/{name}/records", summary="The dataset's records, oldest first, one page")
async def list_records(
    name: str,
    max_results: int = Query(1000, ge=1, le=1000),
    page_token: str | None = None,
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    return await run_in_threadpool(
        ds.list_records, store, ds.validate_name(name), max_results, page_token
    )


@router.post("/{name}/records/delete", summary="Delete records by id")
async def delete_records(
    name: str, body: Any = Body(...), store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    ids = ds.parse_record_ids(body)
    deleted = await run_in_threadpool(ds.delete_records, store, ds.validate_name(name), ids)
    return {"deleted": deleted}
