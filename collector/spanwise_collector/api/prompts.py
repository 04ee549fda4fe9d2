"""``/api/v1/prompts``: the prompt registry (MLflow's prompt registry, Langfuse's and
Phoenix's prompt management): register versions, read one by number or alias, move
and remove aliases, delete versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Response
from starlette.concurrency import run_in_threadpool

from .. import prompts as p
from ..store import ClickHouseStore
from .deps import get_store

router = APIRouter(prefix="/api/v1/prompts", tags=["prompts"])

_REGISTER = Body(
    ...,
    examples=[{
        "name": "support-answer",
        "template": "Answer {{question}} in the tone of {{brand}}.",
        "commit_message": "shorter", "config": {"model": "gpt-4o-mini", "temperature": 0.2},
        "aliases": ["staging"],
    }],
)  # fmt: skip


@router.post("", status_code=201, summary="Register a new version of a prompt")
async def register(body: Any = _REGISTER, store: ClickHouseStore = Depends(get_store)) -> dict:
    item = p.parse_register(body)
    return await run_in_threadpool(p.register, store, item)


@router.get("", summary="Every prompt: newest version, version count, aliases")
async def list_prompts(store: ClickHouseStore = Depends(get_store)) -> dict[str, Any]:
    return {"prompts": await run_in_threadpool(p.list_prompts, store)}


@router.get("/{name}", summary="A prompt's versions, newest first, and its aliases")
async def get_prompt(name: str, store: ClickHouseStore = Depends(get_store)) -> dict[str, Any]:
    return await run_in_threadpool(p.get_prompt, store, p.validate_name(name))


@router.get("/{name}/versions/{version}", summary="One version (a number, or 'latest')")
async def get_version(
    name: str, version: str, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    name = p.validate_name(name)
    if version == p.LATEST:
        return await run_in_threadpool(p.resolve_alias, store, name, p.LATEST)
    return await run_in_threadpool(p.get_version, store, name, p.validate_version(version))


@router.delete("/{name}/versions/{version}", status_code=204,
               summary="Delete a version (and the aliases pointing at it)")  # fmt: skip
async def delete_version(
    name: str, version: str, store: ClickHouseStore = Depends(get_store)
) -> Response:
    await run_in_threadpool(
        p.delete_version, store, p.validate_name(name), p.validate_version(version)
    )
    return Response(status_code=204)


@router.get("/{name}/aliases/{alias}", summary="The version an alias points at")
async def resolve_alias(
    name: str, alias: str, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    return await run_in_threadpool(p.resolve_alias, store, p.validate_name(name), alias)


@router.put("/{name}/aliases/{alias}", summary="Point an alias at a version")
async def set_alias(
    name: str, alias: str, body: Any = Body(..., examples=[{"version": 3}]),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:  # fmt: skip
    version = p.parse_alias_target(body)
    return await run_in_threadpool(
        p.set_alias, store, p.validate_name(name), p.validate_alias(alias), version
    )


@router.delete("/{name}/aliases/{alias}", status_code=204, summary="Remove an alias")
async def delete_alias(
    name: str, alias: str, store: ClickHouseStore = Depends(get_store)
) -> Response:
    await run_in_threadpool(p.delete_alias, store, p.validate_name(name), p.validate_alias(alias))
    return Response(status_code=204)
