"""Where a Langfuse app meets the collector: its SDK (v3+) sends spans to
``/api/public/otel/v1/traces`` (``api/otlp.py``), scores to ``POST /api/public/scores``,
which become feedback on the trace (or span) they name, and reads and creates prompts at
``/api/public/v2/prompts`` (the prompt registry; labels are aliases, moved by its
``update_prompt``). So moving a Langfuse
app to Spanwise is changing its ``LANGFUSE_BASE_URL``; its secret key is the API key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from .. import assessments as a
from .. import prompts as p
from ..query.errors import NotFound, QueryError
from ..query.traces import validate_trace_id
from ..store import ClickHouseStore
from .deps import get_store

router = APIRouter(prefix="/api/public", tags=["langfuse"])

MAX_SCORES = 1_000
# Langfuse's score sources → who assessed (its SDK sends none: "API", code).
_SOURCES = {"ANNOTATION": "HUMAN", "EVAL": "LLM_JUDGE", "API": "CODE"}


@router.post(
    "/scores",
    summary="Langfuse scores (its SDK's create_score / score_current_trace) as feedback",
    responses={202: {"description": "all accepted"}, 207: {"description": "some refused"},
               503: {"description": "a trace or span is not stored yet: send again"}},
)  # fmt: skip
async def create_scores(
    body: Any = Body(..., examples=[[{"traceId": "0123456789abcdef0123456789abcdef",
                                      "name": "helpful", "value": 1, "dataType": "BOOLEAN",
                                      "comment": "the user clicked thumbs up"}]]),
    store: ClickHouseStore = Depends(get_store),
) -> JSONResponse:  # fmt: skip
    scores = [body] if isinstance(body, Mapping) else body
    if not isinstance(scores, list) or len(scores) > MAX_SCORES:
        raise QueryError(f"send a list of at most {MAX_SCORES} scores")
    items, ids, errors = [], [], []
    for at, score in enumerate(scores):
        try:
            items.append(score_input(score))
        except QueryError as exc:
            errors.append({"message": f"scores[{at}]: {exc}"})
        else:
            ids.append(assessment_id(score))
    if items:
        try:
            await run_in_threadpool(a.log_assessments, store, items, ids)
        except (NotFound, QueryError) as exc:
            # Scores travel apart from spans and may arrive first: nothing is written,
            # and the SDK sends the batch again (it retries a 503, not a 207).
            return JSONResponse({"message": f"not stored yet, retry: {exc}"}, status_code=503)
    if errors:
        return JSONResponse(
            {"accepted": len(items), "rejected": len(errors), "errors": errors}, status_code=207
        )
    return JSONResponse({"message": "Accepted"}, status_code=202)


def assessment_id(score: Mapping[str, Any]) -> str | None:
    """The assessment a score with an ``id`` is (the Langfuse SDK gives every score one):
    the same id, the same assessment, so a score sent again or changed is not doubled."""
    score_id = score.get("id")
    if not isinstance(score_id, str) or not score_id:
        return None
    return "a-lf-" + hashlib.sha256(score_id.encode()).hexdigest()[:32]


def score_input(score: Any) -> tuple[str, a.AssessmentInput]:
    """One Langfuse score as (trace id, feedback); QueryError says why it cannot be."""
    if not isinstance(score, Mapping):
        raise QueryError("a score is a JSON object")
    trace_id = score.get("traceId")
    if not isinstance(trace_id, str) or not trace_id:
        raise QueryError("only scores of a trace (traceId) are kept, not of sessions or runs")
    given = score.get("metadata")
    if given is not None and not isinstance(given, Mapping):
        given = {"metadata": given}  # Langfuse takes any JSON here
    metadata = {str(k): v if isinstance(v, str) else json.dumps(v, default=str)
                for k, v in (given or {}).items()}  # fmt: skip
    for field, key in (("id", "langfuse.score_id"), ("environment", "environment")):
        if isinstance(score.get(field), str):
            metadata[key] = score[field]
    source = str(score.get("source") or "API").upper()
    feedback = {
        "kind": "feedback",
        "name": score.get("name"),
        "value": _value(score.get("value"), str(score.get("dataType") or "").upper()),
        "span_id": score.get("observationId") or "",
        "source": {"source_type": _SOURCES.get(source, "CODE"), "source_id": "langfuse"},
        "rationale": score.get("comment") or "",
        "metadata": metadata,
    }
    return validate_trace_id(trace_id.lower()), a.parse_input(feedback)


def _value(value: Any, data_type: str) -> Any:
    """Langfuse sends booleans as 1.0/0.0 with dataType BOOLEAN."""
    if data_type == "BOOLEAN" and isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if data_type == "NUMERIC" and not isinstance(value, (int, float)):
        raise QueryError("a NUMERIC score needs a number")
    return value


# Prompts: Langfuse's prompt management against Spanwise's registry. Its labels are our
# aliases ("production", what get_prompt fetches by default; "latest": the newest).
@router.get("/v2/prompts/{name:path}", summary="A prompt version as Langfuse's get_prompt reads it")
async def get_langfuse_prompt(
    name: str,
    version: int | None = None,
    label: str | None = None,
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    name = p.validate_name(name)
    if version is not None:
        found = await run_in_threadpool(p.get_version, store, name, p.validate_version(version))
    else:
        found = await run_in_threadpool(p.resolve_alias, store, name, label or "production")
    return langfuse_prompt(found)


@router.post("/v2/prompts", status_code=201, summary="Langfuse's create_prompt: a new version")
async def create_langfuse_prompt(
    body: Any = Body(..., examples=[{"name": "qa", "prompt": "Answer: {{question}}",
                                     "type": "text", "labels": ["production"]}]),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:  # fmt: skip
    item = p.parse_register(registry_body(body))
    return langfuse_prompt(await run_in_threadpool(p.register, store, item))


@router.patch(
    "/v2/prompts/{name:path}/versions/{version}",
    summary="Langfuse's update_prompt: its new labels (aliases) move to this version",
)
async def update_langfuse_prompt(
    name: str,
    version: str,
    body: Any = Body(..., examples=[{"newLabels": ["production"]}]),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    name, number = p.validate_name(name), p.validate_version(version)
    labels = body.get("newLabels") if isinstance(body, Mapping) else None
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise QueryError("newLabels must be a list of strings")
    # "latest" is Langfuse's own label (the newest version), as on create: not an alias.
    aliases = [p.validate_alias(x) for x in dict.fromkeys(labels) if x != p.LATEST]
    return langfuse_prompt(await run_in_threadpool(p.set_aliases, store, name, aliases, number))


def registry_body(body: Any) -> dict[str, Any]:
    """A Langfuse create-prompt body as the registry's (QueryError for what it lacks)."""
    if not isinstance(body, Mapping):
        raise QueryError("a prompt is a JSON object")
    template = body.get("prompt")
    if isinstance(template, list):
        if any(isinstance(m, Mapping) and m.get("type") == "placeholder" for m in template):
            raise QueryError("message placeholders are not supported; use {{variables}}")
        template = [{k: v for k, v in m.items() if k != "type"} if isinstance(m, Mapping) else m
                    for m in template]  # fmt: skip
    tags = body.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise QueryError("tags must be a list of strings")
    labels = body.get("labels") or []
    if not isinstance(labels, list):
        raise QueryError("labels must be a list of strings")
    return {
        "name": body.get("name"), "template": template, "config": body.get("config") or {},
        "aliases": [label for label in labels if label != p.LATEST],
        "tags": dict.fromkeys(tags, ""), "commit_message": body.get("commitMessage") or "",
    }  # fmt: skip


def langfuse_prompt(version: Mapping[str, Any]) -> dict[str, Any]:
    """A registry version in Langfuse's prompt shape."""
    return {
        "name": version["name"], "version": version["version"], "type": version["type"],
        "prompt": version["template"], "config": version["config"],
        "labels": list(version["aliases"]), "tags": list(version["tags"]),
        "commitMessage": version["commit_message"],
    }  # fmt: skip
