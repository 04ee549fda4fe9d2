"""What an assessment may be: the request body checked field by field.

Bad input raises ``QueryError`` (HTTP 400) naming the field, before anything is written.
Limits follow MLflow's where it has them (names up to 250 characters as keys; values any
JSON; rationale and values kept to 64 KiB so one careless judge cannot bloat the table).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..query.bodies import json_object, json_text, string_map, text_field
from ..query.errors import QueryError

__all__ = ["KINDS", "SOURCE_TYPES", "AssessmentInput", "AssessmentUpdate", "parse_batch",
           "parse_input", "parse_update", "text_value"]  # fmt: skip

KINDS = ("feedback", "expectation")
SOURCE_TYPES = ("HUMAN", "LLM_JUDGE", "CODE")
MAX_NAME = 250
MAX_TEXT = 65_536
MAX_SOURCE_ID = 1_000
MAX_METADATA = 100


@dataclass(frozen=True)
class AssessmentInput:
    kind: str
    name: str
    value_json: str  # "null" for a feedback that carries only an error
    span_id: str
    source_type: str
    source_id: str
    rationale: str
    metadata: Mapping[str, str]
    error_code: str
    error_message: str


@dataclass(frozen=True)
class AssessmentUpdate:
    """Fields to change; ``None`` leaves a field as it is."""

    value_json: str | None = None
    rationale: str | None = None
    metadata: Mapping[str, str] | None = None


def _value_json(value: Any) -> str:
    return json_text(value, "value", MAX_TEXT)


def _metadata(body: Mapping[str, Any]) -> dict[str, str]:
    return string_map(
        body.get("metadata"), "metadata", max_keys=MAX_METADATA, max_key=MAX_NAME,
        max_value=MAX_TEXT,
    )  # fmt: skip


def parse_input(body: Any) -> AssessmentInput:
    body = json_object(body)
    unknown = set(body) - {"kind", "name", "value", "span_id", "source", "rationale",
                           "metadata", "error"}  # fmt: skip
    if unknown:
        raise QueryError(f"unknown field(s): {', '.join(sorted(unknown))}")
    kind = body.get("kind", "feedback")
    if kind not in KINDS:
        raise QueryError(f"kind must be one of {', '.join(KINDS)}")
    name = text_field(body, "name", MAX_NAME).strip()
    if not name:
        raise QueryError("name is required (1 to 250 characters)")
    span_id = text_field(body, "span_id", 16).lower()
    if span_id and not (len(span_id) == 16 and all(c in "0123456789abcdef" for c in span_id)):
        raise QueryError("span_id must be 16 hexadecimal characters")
    source = body.get("source") or {}
    if not isinstance(source, Mapping) or set(source) - {"source_type", "source_id"}:
        raise QueryError("source must be an object with source_type and source_id")
    source_type = str(source.get("source_type") or "CODE").upper()
    if source_type not in SOURCE_TYPES:
        raise QueryError(f"source.source_type must be one of {', '.join(SOURCE_TYPES)}")
    source_id = text_field(source, "source_id", MAX_SOURCE_ID)
    error = body.get("error") or {}
    if not isinstance(error, Mapping) or set(error) - {"error_code", "error_message"}:
        raise QueryError("error must be an object with error_code and error_message")
    if error and kind != "feedback":
        raise QueryError("only feedback carries an error (a judge that failed)")
    error_code = text_field(error, "error_code", MAX_NAME)
    error_message = text_field(error, "error_message", MAX_TEXT)
    has_error = bool(error_code or error_message)
    if "value" not in body or body["value"] is None:
        if not has_error:
            raise QueryError("value is required (or, for feedback, an error)")
        value_json = "null"
    else:
        value_json = _value_json(body["value"])
    return AssessmentInput(
        kind=kind, name=name, value_json=value_json, span_id=span_id,
        source_type=source_type, source_id=source_id,
        rationale=text_field(body, "rationale", MAX_TEXT), metadata=_metadata(body),
        error_code=error_code, error_message=error_message,
    )  # fmt: skip


def parse_update(body: Any) -> AssessmentUpdate:
    body = json_object(body)
    unknown = set(body) - {"value", "rationale", "metadata"}
    if unknown:
        raise QueryError(
            f"unknown field(s): {', '.join(sorted(unknown))} (value, rationale and metadata "
            "can change; log a new assessment for anything else)"
        )
    if not body:
        raise QueryError("nothing to update: give value, rationale or metadata")
    value_json = None
    if "value" in body:
        if body["value"] is None:
            raise QueryError("value cannot be null")
        value_json = _value_json(body["value"])
    return AssessmentUpdate(
        value_json=value_json,
        rationale=text_field(body, "rationale", MAX_TEXT) if "rationale" in body else None,
        metadata=_metadata(body) if "metadata" in body else None,
    )


def text_value(value_json: str) -> str:
    """The value as filters compare it (numbers compare numerically through it)."""
    value = json.loads(value_json)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return value
    return "" if value is None else value_json


MAX_BATCH = 1_000  # assessments per request


def parse_batch(body: Any) -> list[tuple[str, AssessmentInput]]:
    """``{"assessments": [{"trace_id": ..., <an assessment>}, ...]}``: every item checked
    (and named by its position) before anything is written."""
    body = json_object(body)
    unknown = set(body) - {"assessments"}
    if unknown:
        raise QueryError(f"unknown field(s): {', '.join(sorted(unknown))}")
    items = body.get("assessments")
    if not isinstance(items, list) or not items:
        raise QueryError("assessments is required: a non-empty list")
    if len(items) > MAX_BATCH:
        raise QueryError(f"at most {MAX_BATCH} assessments per request; send the rest in more")
    out = []
    for at, raw in enumerate(items):
        item = json_object(raw, f"assessments[{at}]")
        trace_id = item.get("trace_id")
        if not isinstance(trace_id, str):
            raise QueryError(f"assessments[{at}]: trace_id is required")
        try:
            out.append((trace_id, parse_input({k: v for k, v in item.items() if k != "trace_id"})))
        except QueryError as err:
            raise QueryError(f"assessments[{at}]: {err}") from None
    return out
