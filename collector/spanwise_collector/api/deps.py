"""Shared objects for routers, set on ``app.state`` by ``create_app``."""

from __future__ import annotations

from fastapi import Request

from ..pipeline.pipeline import Pipeline
from ..store import ClickHouseStore


def get_store(request: Request) -> ClickHouseStore:
    return request.app.state.store


def get_pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline
