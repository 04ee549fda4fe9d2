"""The FastAPI application: routers plus error mapping (4xx with a message, never 500)."""

from __future__ import annotations

import inspect
import logging
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from ..filters import FilterError
from ..pipeline.pipeline import Pipeline
from ..query.errors import Conflict, NotFound, QueryError
from ..store import ClickHouseStore, StoreError
from ..ui import router as ui_router
from ..ui.layout import invalid_params_page
from . import (
    assessments,
    costs,
    datasets,
    langfuse,
    langfuse_datasets,
    metrics,
    otlp,
    prompts,
    runs,
    search,
    trace_tags,
    traces,
)
from .query_params import refuse_unknown_query_params
from .unicode import refuse_lone_surrogates

logger = logging.getLogger("spanwise.collector")

# Each feature adds its router here.
ROUTERS = [
    otlp.router, trace_tags.router, traces.router, assessments.router, assessments.batch_router, datasets.router,
    prompts.router, runs.router, costs.router, search.router, metrics.router, langfuse.router,
    langfuse_datasets.router, ui_router,
]  # fmt: skip


def _without_self_tracing() -> dict[str, Any]:
    """FastAPI 0.165+ traces its requests into the process's global OTel provider. Next
    to the Spanwise SDK in one process (``spanwise demo``, a ``Collector`` embedded in an
    app), every API call would be stored as a trace of the user's project, and OTLP/HTTP
    ingest would trace itself. Older FastAPI has no such telemetry (nor the argument)."""
    if "telemetry" not in inspect.signature(FastAPI).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def create_app(store: ClickHouseStore, pipeline: Pipeline) -> FastAPI:
    from .. import __version__

    app = FastAPI(
        title="Spanwise collector",
        version=__version__,
        description="OTLP/HTTP ingest and the Spanwise query API.",
        dependencies=[Depends(refuse_lone_surrogates), Depends(refuse_unknown_query_params)],
        **_without_self_tracing(),
    )
    app.state.store = store
    app.state.pipeline = pipeline
    app.state.metrics_registry = metrics.registry_for(pipeline)

    @app.get("/healthz", tags=["health"], summary="Liveness and store reachability")
    def healthz() -> dict[str, str]:
        store.query("SELECT 1")
        return {"status": "ok", "store": store.location.describe()}

    @app.exception_handler(QueryError)
    async def _bad_request(_: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(FilterError)  # also InvalidPageToken
    async def _bad_filter(_: Request, exc: FilterError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), **exc.to_dict()}, status_code=400)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/ui/"):  # a browser: the UI's error page
            return invalid_params_page(exc.errors())
        return await request_validation_exception_handler(request, exc)

    @app.exception_handler(StoreError)
    async def _store_down(_: Request, exc: StoreError) -> JSONResponse:
        logger.warning("query failed: %s", exc)
        return JSONResponse({"detail": f"store unavailable: {exc}"}, status_code=503)

    for router in ROUTERS:
        app.include_router(router)
    return app
