"""What a dataset and a dataset record may be: request bodies checked field by field.

Bad input raises ``QueryError`` (HTTP 400) naming the field (and the record's position),
before anything is written. Limits: names up to 250 characters (no ``/``: names travel
in URL paths), descriptions and tag values up to 64 KiB, a record's inputs and
expectations up to 1 MiB of JSON each, 1,000 records per request.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..query.bodies import (
    json_object,
    json_text,
    object_name,
    string_map,
    text_field,
    unknown_fields,
)
from ..query.errors import QueryError
from ..query.traces import validate_trace_id

__all__ = ["DatasetChange", "RecordInput", "derive_record_id", "parse_create", "parse_record_ids",
           "parse_records", "parse_update", "validate_name"]  # fmt: skip

MAX_NAME = 250
MAX_TEXT = 65_536
MAX_TAGS = 100
MAX_RECORD_JSON = 1 << 20
MAX_RECORDS = 1_000  # per request
_RECORD_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(frozen=True)
class DatasetChange:
    """A new dataset (``name`` set) or fields to change (``None``: unchanged)."""

    name: str | None = None
    description: str | None = None
    tags: Mapping[str, str] | None = None


@dataclass(frozen=True)
class RecordInput:
    record_id: str
    inputs_json: str
    expectations: Mapping[str, Any] | None  # None: leave a stored record's as they are
    tags: Mapping[str, str]
    source_trace_id: str


def validate_name(name: Any) -> str:
    return object_name(name, "dataset")


def _tags(body: Mapping[str, Any], key: str = "tags") -> dict[str, str]:
    return string_map(body.get(key), key, max_keys=MAX_TAGS, max_key=MAX_NAME, max_value=MAX_TEXT)


def parse_create(body: Any) -> DatasetChange:
    body = json_object(body)
    unknown_fields(body, {"name", "description", "tags"})
    return DatasetChange(
        name=validate_name(body.get("name")),
        description=text_field(body, "description", MAX_TEXT),
        tags=_tags(body),
    )


def parse_update(body: Any) -> DatasetChange:
    body = json_object(body)
    unknown_fields(body, {"description", "tags"}, " (a dataset's description and tags change)")
    if not body:
        raise QueryError("nothing to update: give description or tags")
    return DatasetChange(
        description=text_field(body, "description", MAX_TEXT) if "description" in body else None,
        tags=_tags(body) if "tags" in body else None,
    )


def derive_record_id(inputs_json: str) -> str:
    """The id of a record given without one: the same inputs, the same record."""
    canonical = json.dumps(json.loads(inputs_json), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))  # fmt: skip
    return "r-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _record(raw: Any, at: int) -> RecordInput:
    where = f"records[{at}]"
    item = json_object(raw, where)
    try:
        unknown_fields(item, {"record_id", "inputs", "expectations", "tags", "source_trace_id"})
        inputs = item.get("inputs")
        if not isinstance(inputs, Mapping):
            raise QueryError("inputs is required: an object of the arguments to call with")
        inputs_json = json_text(inputs, "inputs", MAX_RECORD_JSON)
        expectations = item.get("expectations")
        if expectations is not None:
            if not isinstance(expectations, Mapping):
                raise QueryError("expectations must be an object (name: expected value)")
            json_text(expectations, "expectations", MAX_RECORD_JSON)
            if any(not k or len(k) > MAX_NAME for k in expectations):
                raise QueryError(f"expectation names must have 1 to {MAX_NAME} characters")
        record_id = item.get("record_id")
        if record_id is None:
            record_id = derive_record_id(inputs_json)
        elif not isinstance(record_id, str) or not _RECORD_ID.match(record_id):
            raise QueryError(
                "record_id must be 1 to 128 letters, digits or . _ : - (or left out: "
                "derived from the inputs)"
            )
        source = item.get("source_trace_id")
        source = (
            "" if source is None else validate_trace_id(text_field(item, "source_trace_id", 64))
        )
    except QueryError as err:
        raise QueryError(f"{where}: {err}") from None
    return RecordInput(
        record_id=record_id,
        inputs_json=inputs_json,
        expectations=None if expectations is None else dict(expectations),
        tags=_tags(item),
        source_trace_id=source,
    )


def _batch(body: Any, key: str, what: str) -> list[Any]:
    """The body's only field ``key``: a list of 1 to MAX_RECORDS items."""
    body = json_object(body)
    unknown_fields(body, {key})
    items = body.get(key)
    if not isinstance(items, list) or not items:
        raise QueryError(f"{key} is required: a non-empty list of {what}")
    if len(items) > MAX_RECORDS:
        raise QueryError(f"at most {MAX_RECORDS} {what} per request; send the rest in more")
    return items


def parse_records(body: Any) -> list[RecordInput]:
    return [_record(raw, at) for at, raw in enumerate(_batch(body, "records", "records"))]


def parse_record_ids(body: Any) -> list[str]:
    ids = _batch(body, "record_ids", "record ids")
    if not all(isinstance(i, str) and _RECORD_ID.match(i) for i in ids):
        raise QueryError("record_ids must be record ids (1 to 128 letters, digits or . _ : -)")
    return list(dict.fromkeys(ids))
