"""Evaluation datasets (MLflow's evaluation datasets, Langfuse's and Phoenix's datasets):
named sets of records — the inputs to run an app on and what it should produce — kept
by the collector, read back to evaluate against. The shapes and ``spanwise.Client``'s
methods for them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

__all__ = ["Dataset", "DatasetRecord", "DatasetsClientMixin"]

# Records per request: the collector's limit.
_BATCH = 1_000


@dataclass(frozen=True)
class DatasetRecord:
    """One record: ``inputs`` (keyword arguments of the function under test),
    ``expectations`` (the ground truth, by name), ``tags``, and the trace it was
    taken from, if any. ``record_id`` is given or derived from the inputs, so merging
    the same inputs again updates the record instead of adding a second one."""

    record_id: str
    inputs: Mapping[str, Any]
    expectations: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    source_trace_id: str | None = None
    create_time_ms: int = 0
    last_update_time_ms: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DatasetRecord:
        return cls(
            record_id=d["record_id"],
            inputs=d.get("inputs") or {},
            expectations=d.get("expectations") or {},
            tags=d.get("tags") or {},
            source_trace_id=d.get("source_trace_id") or None,
            create_time_ms=int(d.get("create_time_ms") or 0),
            last_update_time_ms=int(d.get("last_update_time_ms") or 0),
        )


@dataclass(frozen=True)
class Dataset:
    dataset_id: str
    name: str
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    record_count: int = 0
    create_time_ms: int = 0
    last_update_time_ms: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Dataset:
        return cls(
            dataset_id=d["dataset_id"],
            name=d["name"],
            description=d.get("description") or None,
            tags=d.get("tags") or {},
            record_count=int(d.get("record_count") or 0),
            create_time_ms=int(d.get("create_time_ms") or 0),
            last_update_time_ms=int(d.get("last_update_time_ms") or 0),
        )


def _path(name: str, *rest: str) -> str:
    import urllib.parse  # lazily, like Client: it is slow to import

    return "/".join(("/api/v1/datasets", urllib.parse.quote(name, safe=""), *rest))


def record_body(record: Any) -> dict[str, Any]:
    """A record as the API takes it, from a dict, a ``DatasetRecord`` or a ``Trace``
    (its root span's inputs and outputs, its expectations, its id as the source)."""
    if isinstance(record, DatasetRecord):
        record = {
            "record_id": record.record_id, "inputs": dict(record.inputs),
            "expectations": dict(record.expectations), "tags": dict(record.tags),
            "source_trace_id": record.source_trace_id,
        }  # fmt: skip
    elif hasattr(record, "info") and hasattr(record, "data"):  # a Trace
        record = _from_trace(record)
    if not isinstance(record, Mapping):
        raise TypeError(
            "a dataset record is a dict with 'inputs' (and optionally 'expectations', "
            f"'tags', 'record_id', 'source_trace_id'), a DatasetRecord or a Trace; got "
            f"{type(record).__name__}"
        )
    return {k: v for k, v in record.items() if v is not None}


def _from_trace(trace: Any) -> dict[str, Any]:
    spans = trace.data.spans
    root = next((s for s in spans if not s.parent_id), spans[0] if spans else None)
    inputs = root.inputs if root is not None else None
    if not isinstance(inputs, Mapping):
        inputs = {"inputs": inputs}
    expectations = {
        a.name: a.value
        for a in getattr(trace.info, "assessments", ()) or ()
        if a.kind == "expectation"
    }
    return {
        "inputs": dict(inputs),
        "expectations": expectations,
        "source_trace_id": trace.info.trace_id,
    }


def _records_of(records: Any) -> list[Any]:
    if hasattr(records, "to_dict") and hasattr(records, "columns"):  # a pandas DataFrame
        if "trace_id" in records.columns and "inputs" not in records.columns:
            # search_traces(return_type="pandas"): trace infos, fetched whole below.
            return [_TraceRef(str(tid)) for tid in records["trace_id"]]
        return [{k: v for k, v in row.items() if v is not None}
                for row in records.to_dict(orient="records")]  # fmt: skip
    if isinstance(records, Mapping):
        return [records]
    return list(records)


@dataclass(frozen=True)
class _TraceRef:
    trace_id: str


def _needs_fetch(record: Any) -> str | None:
    """The id of a trace given without its spans — a ``search_traces`` result (spans
    only with ``include_spans``), a ``TraceInfo`` or a row of a search's DataFrame — whose
    root inputs and expectations must be read from the collector; else ``None``."""
    from .types import Trace, TraceInfo

    if isinstance(record, _TraceRef):
        return record.trace_id
    if isinstance(record, TraceInfo):
        return record.trace_id
    if isinstance(record, Trace) and not record.data.spans:
        return record.info.trace_id
    return None


class DatasetsClientMixin:
    if TYPE_CHECKING:  # provided by Client, which mixes this class in

        def _request(self, method: str, path: str, params: dict[str, Any] | None = None,
                     body: Any = None) -> Any: ...  # fmt: skip

        def _not_found_is_none(self, method: str, path: str, **kwargs: Any) -> Any: ...

        def get_trace(self, trace_id: str) -> Any: ...

    def create_dataset(
        self,
        name: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Dataset:
        """A new, empty dataset; a live dataset of that name already there is an error
        (HTTP 409)."""
        body = {"name": name, "description": description,
                "tags": dict(tags) if tags is not None else None}  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
        return Dataset.from_dict(self._request("POST", "/api/v1/datasets", body=body))

    def get_dataset(self, name: str) -> Dataset | None:
        """The dataset (with its record count), or ``None`` if there is none by that name."""
        found = self._not_found_is_none("GET", _path(name))
        return None if found is None else Dataset.from_dict(found)

    def list_datasets(self) -> list[Dataset]:
        """Every dataset, by name."""
        return [Dataset.from_dict(d) for d in self._request("GET", "/api/v1/datasets")["datasets"]]

    def update_dataset(
        self,
        name: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Dataset:
        """Change the description, or set tags (merged into the old; ``""`` removes one)."""
        body = {"description": description, "tags": dict(tags) if tags is not None else None}
        body = {k: v for k, v in body.items() if v is not None}
        return Dataset.from_dict(self._request("PATCH", _path(name), body=body))

    def delete_dataset(self, name: str) -> bool:
        """Delete the dataset and its records; ``False`` if there was none."""
        from .client import SpanwiseAPIError

        try:
            self._request("DELETE", _path(name))
        except SpanwiseAPIError as err:
            if err.status == 404:
                return False
            raise
        return True

    def merge_records(self, name: str, records: Iterable[Any] | Any) -> Dataset:
        """Add records to a dataset, or update them: a record whose id (given, or
        derived from its inputs) is already there gets the new expectations and tags
        merged into its old ones. ``records``: dicts with ``inputs`` and optionally
        ``expectations``, ``tags``, ``record_id``, ``source_trace_id``; ``DatasetRecord``
        s; ``Trace`` s (their root span's inputs, their expectations), e.g. what
        ``search_traces`` found (read whole from the collector); or a pandas DataFrame
        with such columns, or of ``search_traces(return_type="pandas")``. Returns the dataset with its new record count."""
        bodies = [record_body(self._whole(r)) for r in _records_of(records)]
        result: Any = None
        for start in range(0, len(bodies), _BATCH):
            result = self._request(
                "POST", _path(name, "records"), body={"records": bodies[start : start + _BATCH]}
            )
        if result is None:  # nothing to merge: say what the dataset is now
            found = self.get_dataset(name)
            if found is None:
                from .client import SpanwiseAPIError

                raise SpanwiseAPIError(404, f"no dataset named {name!r}")
            return found
        return Dataset.from_dict(result["dataset"])

    def _whole(self, record: Any) -> Any:
        trace_id = _needs_fetch(record)
        if trace_id is None:
            return record
        trace = self.get_trace(trace_id)
        if trace is None:
            from .client import SpanwiseAPIError

            raise SpanwiseAPIError(404, f"no trace {trace_id} on the collector")
        return trace

    def get_dataset_records(self, name: str, max_results: int | None = None) -> list[DatasetRecord]:
        """The dataset's records, oldest first (all of them unless ``max_results``)."""
        out: list[DatasetRecord] = []
        token = None
        while max_results is None or len(out) < max_results:
            page = _BATCH if max_results is None else min(_BATCH, max_results - len(out))
            payload = self._request(
                "GET", _path(name, "records"), params={"max_results": page, "page_token": token}
            )
            out.extend(DatasetRecord.from_dict(r) for r in payload["records"])
            token = payload.get("next_page_token")
            if not token:
                break
        return out

    def delete_dataset_records(self, name: str, record_ids: Iterable[str]) -> int:
        """Remove records by id; returns how many were there."""
        ids = [record_ids] if isinstance(record_ids, str) else list(record_ids)  # not letters
        deleted = 0
        for start in range(0, len(ids), _BATCH):
            result = self._request(
                "POST", _path(name, "records", "delete"),
                body={"record_ids": ids[start : start + _BATCH]},
            )  # fmt: skip
            deleted += result["deleted"]
        return deleted
