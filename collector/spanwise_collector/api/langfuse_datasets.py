"""Langfuse's dataset API (what its SDK's ``create_dataset``, ``create_dataset_item``,
``get_dataset`` and ``run_experiment`` call) over Spanwise's datasets (``datasets/``):

- ``POST /api/public/v2/datasets``: creates the Spanwise dataset of that name, or, as
  Langfuse upserts by name, changes its description and metadata;
  ``GET /api/public/v2/datasets[/{name}]``: one, or a page (``page``, ``limit``).
- ``POST /api/public/dataset-items``: adds a record, or updates the one with that id;
  ``GET /api/public/dataset-items?datasetName=…&page=…&limit=…``: a page, oldest first;
  ``GET`` / ``DELETE /api/public/dataset-items/{id}``: looked for in each dataset.
- ``GET /api/public/projects``: one project (``spanwise``); ``run_experiment`` asks
  for it to derive its experiment id.

Mapping (Langfuse → Spanwise, and read back exactly as given):

- a dataset's ``metadata`` (any JSON) → the dataset tag ``langfuse.metadata`` (JSON text).
- an item's ``id`` → ``record_id`` (1 to 128 letters, digits or ``. _ : -``: a UUID, as
  the SDK generates, fits); upserts are ``merge_records``.
- ``input``: a JSON object → ``inputs`` as is (tag ``langfuse.input = object``);
  anything else → ``inputs = {"input": value}`` with tag ``langfuse.input = wrapped``.
  The tag is always written, so an upsert from one kind to the other reads back right.
- ``expectedOutput`` → ``expectations["expected_response"]`` (what the ``correctness``
  judge reads); a record without it but with other expectations reads back as all of
  them.
- ``metadata`` → tag ``langfuse.metadata`` (JSON text); ``status`` → tag
  ``langfuse.status`` (none: ``ACTIVE``); ``sourceTraceId`` → ``source_trace_id`` (32
  hex characters); ``sourceObservationId`` → tag ``langfuse.source_observation_id``.
- On an upsert, ``input`` is replaced (a null too); ``expectedOutput``, ``metadata``,
  ``status`` and the sources left out or null keep their stored values.

Errors answer in Langfuse's shape, ``{"message": …, "error": …}`` (404 for an unknown
dataset or item, 400 naming the bad field, before anything is written). Auth is the
collector's (``auth.py``): with ``--api-key K``, ``K`` is the Langfuse secret key.
Not served: dataset runs (the SDK 5 records experiments as traces), dataset versions
(``version``: Spanwise keeps current items only), item filters by source, schemas.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from .. import datasets as ds
from ..datasets.model import MAX_RECORD_JSON, MAX_TEXT, DatasetChange, RecordInput
from ..datasets.store import MAX_PAGE, get_record
from ..query.bodies import json_text, text_field
from ..query.errors import Conflict, NotFound, QueryError
from ..query.traces import validate_trace_id
from ..store import ClickHouseStore
from ..store.versions import utc
from .deps import get_store

__all__ = ["dataset_change", "langfuse_dataset", "langfuse_item", "record_input", "router"]

PROJECT_ID = "spanwise"
METADATA = "langfuse.metadata"
INPUT = "langfuse.input"
STATUS = "langfuse.status"
OBSERVATION = "langfuse.source_observation_id"
EXPECTED = "expected_response"
STATUSES = ("ACTIVE", "ARCHIVED")
_ERRORS = ((NotFound, 404, "LangfuseNotFoundError"), (Conflict, 409, "ConflictError"),
           (QueryError, 400, "InvalidRequestError"))  # fmt: skip


class _LangfuseErrors(APIRoute):
    """Errors as Langfuse answers them, ``{"message", "error"}``: its SDK raises
    ``NotFoundError`` / ``Error`` with that body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except (NotFound, Conflict, QueryError) as exc:
                status, name = next((s, n) for t, s, n in _ERRORS if isinstance(exc, t))
                return JSONResponse({"message": str(exc), "error": name}, status_code=status)

        return answer


router = APIRouter(prefix="/api/public", tags=["langfuse"], route_class=_LangfuseErrors)


# What goes out: Spanwise datasets and records in Langfuse's shapes.
def _time(epoch_ms: int) -> str:
    return utc(epoch_ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_tag(tags: Mapping[str, str], key: str) -> Any:
    """A tag holding JSON text, as the JSON (a tag someone set by hand: its text)."""
    if key not in tags:
        return None
    try:
        return json.loads(tags[key])
    except ValueError:
        return tags[key]


def langfuse_dataset(dataset: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": dataset["dataset_id"], "name": dataset["name"],
        "description": dataset["description"], "metadata": _json_tag(dataset["tags"], METADATA),
        "inputSchema": None, "expectedOutputSchema": None, "projectId": PROJECT_ID,
        "createdAt": _time(dataset["create_time_ms"]),
        "updatedAt": _time(dataset["last_update_time_ms"]),
    }  # fmt: skip


def _expected(expectations: Mapping[str, Any]) -> Any:
    if EXPECTED in expectations:
        return expectations[EXPECTED]
    return dict(expectations) or None  # a Spanwise record's own expectations


def langfuse_item(dataset: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    tags, inputs = record["tags"], record["inputs"]
    return {
        "id": record["record_id"],
        "status": tags[STATUS] if tags.get(STATUS) in STATUSES else "ACTIVE",
        "input": inputs.get("input") if tags.get(INPUT) == "wrapped" else inputs,
        "expectedOutput": _expected(record["expectations"]),
        "metadata": _json_tag(tags, METADATA),
        "sourceTraceId": record["source_trace_id"],
        "sourceObservationId": tags.get(OBSERVATION) or None,
        "datasetId": dataset["dataset_id"], "datasetName": dataset["name"],
        "createdAt": _time(record["create_time_ms"]),
        "updatedAt": _time(record["last_update_time_ms"]), "mediaReferences": [],
    }  # fmt: skip


def _page(data: list[Any], page: int, limit: int, total: int) -> dict[str, Any]:
    meta = {"page": page, "limit": limit, "totalItems": total,
            "totalPages": math.ceil(total / limit)}  # fmt: skip
    return {"data": data, "meta": meta}


def _paging(page: int, limit: int) -> None:
    if page < 1:
        raise QueryError("page starts at 1")
    if not 1 <= limit <= MAX_PAGE:
        raise QueryError(f"limit must be between 1 and {MAX_PAGE}")


# What comes in: Langfuse bodies checked field by field (errors name Langfuse's fields).
def _body(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise QueryError("the request body must be a JSON object")
    return body


def _dataset_name(value: Any, field: str) -> str:
    try:
        return ds.validate_name(value)
    except QueryError as exc:
        raise QueryError(f"{field}: {exc}") from None


def _metadata(body: Mapping[str, Any]) -> dict[str, str]:
    """``metadata`` as the tag that keeps it (none if not given)."""
    value = body.get("metadata")
    return {} if value is None else {METADATA: json_text(value, "metadata", MAX_TEXT)}


def dataset_change(body: Any) -> DatasetChange:
    body = _body(body)
    for schema in ("inputSchema", "expectedOutputSchema"):
        if body.get(schema) is not None:
            raise QueryError(f"{schema} is not supported: Spanwise does not validate items")
    described = body.get("description") is not None  # left out: an existing one's stays
    return DatasetChange(
        name=_dataset_name(body.get("name"), "name"),
        description=text_field(body, "description", MAX_TEXT) if described else None,
        tags=_metadata(body),
    )


def _item_id(value: Any) -> str:
    if value is None:
        return str(uuid.uuid4())  # as Langfuse does
    try:
        return ds.parse_record_ids({"record_ids": [value]})[0]
    except QueryError:
        raise QueryError(
            f"id {value!r} cannot be a Spanwise record id: 1 to 128 letters, digits or "
            ". _ : - (leave it out for a generated one)"
        ) from None


def _source_trace(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise QueryError("sourceTraceId must be a string")
    try:
        return validate_trace_id(value)
    except QueryError as exc:
        raise QueryError(f"sourceTraceId: {exc}") from None


def _item_tags(body: Mapping[str, Any], wrapped: bool) -> dict[str, str]:
    tags = {INPUT: "wrapped" if wrapped else "object", **_metadata(body)}
    status = body.get("status")
    if status is not None:
        if status not in STATUSES:
            raise QueryError("status must be ACTIVE or ARCHIVED")
        tags[STATUS] = status
    observation = text_field(body, "sourceObservationId", MAX_TEXT)
    if observation:
        tags[OBSERVATION] = observation
    return tags


def record_input(body: Mapping[str, Any]) -> RecordInput:
    """A Langfuse dataset item as the record it becomes (QueryError: why it cannot)."""
    value = body.get("input")
    json_text(value, "input", MAX_RECORD_JSON)
    wrapped = not isinstance(value, Mapping)
    expected = body.get("expectedOutput")
    if expected is not None:
        json_text(expected, "expectedOutput", MAX_RECORD_JSON)
    record = {
        "record_id": _item_id(body.get("id")),
        "inputs": {"input": value} if wrapped else value,
        "expectations": None if expected is None else {EXPECTED: expected},
        "tags": _item_tags(body, wrapped), "source_trace_id": _source_trace(body.get("sourceTraceId")),
    }  # fmt: skip
    try:
        [item] = ds.parse_records({"records": [record]})
    except QueryError as exc:
        raise QueryError(str(exc).removeprefix("records[0]: ")) from None
    return item


# Reads and writes, through datasets/store.py.
def _stored(store: ClickHouseStore, dataset: Mapping[str, Any], item_id: str) -> dict | None:
    """The dataset's live record ``item_id``, or None."""
    return get_record(store, dataset["dataset_id"], item_id)


def _find(store: ClickHouseStore, item_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dataset holding item ``item_id`` and its record (Langfuse's ids are unique in a
    project; Spanwise's in a dataset: the first dataset by name that has it)."""
    try:
        _item_id(item_id)
    except QueryError:
        raise NotFound(f"no dataset item with id {item_id!r}") from None  # none could have it
    for dataset in ds.list_datasets(store):
        record = _stored(store, dataset, item_id)
        if record is not None:
            return dataset, record
    raise NotFound(f"no dataset item with id {item_id!r}")


def _upsert_dataset(store: ClickHouseStore, change: DatasetChange) -> dict[str, Any]:
    """Langfuse creates a dataset, or changes the one of that name."""
    assert change.name is not None
    try:
        ds.get_dataset(store, change.name)
    except NotFound:
        try:
            return ds.create_dataset(store, change)
        except Conflict:
            pass  # made meanwhile: change it
    if change.description is None and not change.tags:
        return ds.get_dataset(store, change.name)
    update = DatasetChange(description=change.description, tags=change.tags or None)
    return ds.update_dataset(store, change.name, update)


def _put_item(store: ClickHouseStore, name: str, item: RecordInput) -> dict[str, Any]:
    dataset = ds.merge_records(store, name, [item])["dataset"]
    record = _stored(store, dataset, item.record_id)
    if record is None:  # deleted in between
        raise NotFound(f"dataset item {item.record_id!r} was deleted meanwhile")
    return langfuse_item(dataset, record)


def _records_page(store: ClickHouseStore, name: str, page: int, limit: int) -> list[dict]:
    """Records ``(page - 1) * limit`` on, oldest first (list_records pages by token)."""
    skip, token = (page - 1) * limit, None
    while skip:
        step = ds.list_records(store, name, min(skip, MAX_PAGE), token)
        token, skip = step["next_page_token"], skip - len(step["records"])
        if token is None:
            return []
    return ds.list_records(store, name, limit, token)["records"]


def _items_page(store: ClickHouseStore, name: str, page: int, limit: int) -> dict[str, Any]:
    dataset = ds.get_dataset(store, name)
    records = _records_page(store, name, page, limit)
    items = [langfuse_item(dataset, r) for r in records]
    return _page(items, page, limit, dataset["record_count"])


def _delete_item(store: ClickHouseStore, item_id: str) -> None:
    dataset, _ = _find(store, item_id)
    ds.delete_records(store, dataset["name"], [item_id])


# Routes.
@router.get("/projects", summary="The project of the API key, as Langfuse's SDK asks for it")
async def get_projects() -> dict[str, Any]:
    organization = {"id": PROJECT_ID, "name": "Spanwise"}
    return {"data": [{"id": PROJECT_ID, "name": "Spanwise", "organization": organization,
                      "metadata": {}}]}  # fmt: skip


@router.post("/v2/datasets", summary="Langfuse's create_dataset: create, or change by name")
async def create_langfuse_dataset(
    body: Any = Body(..., examples=[{"name": "capitals", "description": "countries",
                                     "metadata": {"owner": "qa"}}]),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:  # fmt: skip
    change = dataset_change(body)
    return langfuse_dataset(await run_in_threadpool(_upsert_dataset, store, change))


@router.get("/v2/datasets", summary="Langfuse's datasets list: a page, by name")
async def list_langfuse_datasets(
    page: int = 1, limit: int = 50, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    _paging(page, limit)
    found = await run_in_threadpool(ds.list_datasets, store)
    data = [langfuse_dataset(d) for d in found[(page - 1) * limit : page * limit]]
    return _page(data, page, limit, len(found))


@router.get("/v2/datasets/{name}", summary="Langfuse's get_dataset: the dataset (items apart)")
async def get_langfuse_dataset(
    name: str, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    dataset = await run_in_threadpool(ds.get_dataset, store, _dataset_name(name, "datasetName"))
    return langfuse_dataset(dataset)


@router.post("/dataset-items", summary="Langfuse's create_dataset_item: add, or upsert by id")
async def create_langfuse_item(
    body: Any = Body(..., examples=[{"datasetName": "capitals", "input": {"country": "Italy"},
                                     "expectedOutput": "Rome", "metadata": {"level": 1}}]),
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:  # fmt: skip
    body = _body(body)
    name = _dataset_name(body.get("datasetName"), "datasetName")
    return await run_in_threadpool(_put_item, store, name, record_input(body))


@router.get("/dataset-items", summary="A page of a dataset's items, oldest first")
async def list_langfuse_items(
    dataset_name: str | None = Query(None, alias="datasetName"),
    source_trace_id: str | None = Query(None, alias="sourceTraceId"),
    source_observation_id: str | None = Query(None, alias="sourceObservationId"),
    version: str | None = None,
    page: int = 1,
    limit: int = 50,
    store: ClickHouseStore = Depends(get_store),
) -> dict[str, Any]:
    if dataset_name is None:
        raise QueryError("datasetName is required: Spanwise lists the items of one dataset")
    if source_trace_id or source_observation_id:
        raise QueryError("filtering items by sourceTraceId or sourceObservationId is not supported")
    if version:
        raise QueryError("version is not supported: Spanwise keeps the current items only")
    _paging(page, limit)
    name = _dataset_name(dataset_name, "datasetName")
    return await run_in_threadpool(_items_page, store, name, page, limit)


@router.get("/dataset-items/{item_id}", summary="A dataset item by id")
async def get_langfuse_item(
    item_id: str, store: ClickHouseStore = Depends(get_store)
) -> dict[str, Any]:
    dataset, record = await run_in_threadpool(_find, store, item_id)
    return langfuse_item(dataset, record)


@router.delete("/dataset-items/{item_id}", summary="Delete a dataset item by id")
async def delete_langfuse_item(
    item_id: str, store: ClickHouseStore = Depends(get_store)
) -> dict[str, str]:
    await run_in_threadpool(_delete_item, store, item_id)
    return {"message": "Dataset item successfully deleted"}
