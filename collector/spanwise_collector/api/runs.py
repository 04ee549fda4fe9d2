"""``/api/v1/experiments`` and ``/api/v1/runs``: search, get, metric history, traces, artifacts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..query import experiments as qe
from ..query import runs as q
from ..query.errors import NotFound
from ..query.offset_page import MAX_RESULTS
from ..runs.artifacts import ArtifactStore, ArtifactTooLarge, default_root
from ..store import ClickHouseStore
from .deps import get_store

router = APIRouter(prefix="/api/v1", tags=["runs"])


def get_artifacts(request: Request) -> ArtifactStore:
    state = request.app.state
    store = getattr(state, "artifacts", None)
    if store is None:
        root = getattr(state, "artifacts_dir", None) or default_root(state.store.location)
        store = state.artifacts = ArtifactStore(root)
    return store


# -- experiments -------------------------------------------------------------------
@router.get("/experiments", summary="Search experiments (or get one by exact name)")
async def search_experiments(
    name: str | None = None,
    filter_string: str = "",
    order_by: list[str] = Query(default=[]),
    max_results: int = Query(1000, ge=1, le=MAX_RESULTS),
    page_token: str | None = None,
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    if name is not None:
        found = await run_in_threadpool(qe.get_experiment, store, None, name)
        return {"experiments": [found] if found else [], "next_page_token": None}
    return await run_in_threadpool(
        qe.search_experiments, store, filter_string, order_by, max_results, page_token
    )


@router.get("/experiments/{experiment_id}", summary="One experiment by id")
async def get_experiment(
    experiment_id: str, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    found = await run_in_threadpool(qe.get_experiment, store, experiment_id, None)
    if found is None:
        raise NotFound(f"no experiment with id {experiment_id}")
    return found


# -- runs --------------------------------------------------------------------------
class RunSearchRequest(BaseModel):
    # MLflow's REST API names the filter "filter": refused, not ignored (every run matched).
    model_config = {"extra": "forbid"}

    experiment_ids: list[str] = Field(default_factory=list)
    filter_string: str = ""
    order_by: list[str] = Field(default_factory=list)
    max_results: int = Field(default=1000, ge=1, le=MAX_RESULTS)
    page_token: str | None = None


@router.post("/runs/search", summary="Search runs with an MLflow-style filter_string")
async def search_runs(
    body: RunSearchRequest, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    return await run_in_threadpool(
        q.search_runs, store, body.experiment_ids, body.filter_string, body.order_by,
        body.max_results, body.page_token,
    )  # fmt: skip


@router.get("/runs/{run_id}", summary="One run: info, params, latest metrics, tags")
async def get_run(run_id: str, store: ClickHouseStore = Depends(get_store)) -> dict[str, Any]:
    run = await run_in_threadpool(q.get_run, store, run_id)
    if run is None:
        raise NotFound(f"no run with id {run_id}")
    return run


@router.get("/runs/{run_id}/metrics/history", summary="Every point of one metric")
async def metric_history(
    run_id: str,
    key: str,
    max_results: int = Query(q.MAX_HISTORY, ge=1, le=q.MAX_HISTORY),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    return await run_in_threadpool(q.metric_history, store, run_id, key, max_results)


@router.get("/runs/{run_id}/traces", summary="Traces recorded while the run was active")
async def run_traces(
    run_id: str,
    max_results: int = Query(100, ge=1, le=1000),
    page_token: str | None = None,
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    return await run_in_threadpool(q.run_traces, store, run_id, max_results, page_token)


# -- artifacts ---------------------------------------------------------------------
@router.put("/runs/{run_id}/artifacts/{path:path}", summary="Upload one artifact (raw body)")
async def upload_artifact(
    run_id: str, path: str, request: Request, artifacts: ArtifactStore = Depends(get_artifacts)
) -> Any:
    declared = request.headers.get("content-length")
    too_large = JSONResponse(
        {"detail": f"artifact is larger than the limit of {artifacts.max_bytes} bytes"},
        status_code=413,
    )
    if declared and declared.isdigit() and int(declared) > artifacts.max_bytes:
        return too_large
    try:
        return await artifacts.write(run_id, path, request.stream())
    except ArtifactTooLarge:
        return too_large


@router.get("/runs/{run_id}/artifacts", summary="List artifacts under a directory")
async def list_artifacts(
    run_id: str, path: str = "", artifacts: ArtifactStore = Depends(get_artifacts)
) -> dict[str, Any]:
    files = await run_in_threadpool(artifacts.list, run_id, path)
    return {"root_uri": f"runs:/{run_id}", "files": files}


@router.get("/runs/{run_id}/artifacts/{path:path}", summary="Download one artifact")
async def download_artifact(
    run_id: str, path: str, artifacts: ArtifactStore = Depends(get_artifacts)
) -> FileResponse:
    target = artifacts.file(run_id, path)
    return FileResponse(target, media_type="application/octet-stream", filename=target.name)
