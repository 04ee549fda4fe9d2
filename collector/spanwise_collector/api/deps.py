"""Shared objects for routers, set on ``app.state`` by ``create_app``."""

from __future__ import annotations

from fastapi import Request

from ..pipeline.pipeline import Pipeline
from ..store import ClickHouseStore

# How long a read waits for acknowledged spans to reach the store (usually one insert).
SYNC_TIMEOUT_S = 10.0


def get_store(request: Request) -> ClickHouseStore:
    """The store, once every span acknowledged before this request is in it: a client
    that exported and then reads sees its spans (read-your-writes)."""
    pipeline = getattr(request.app.state, "pipeline", None)
    if pipeline is not None:
        pipeline.sync(SYNC_TIMEOUT_S)
    return request.app.state.store


def get_pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline
