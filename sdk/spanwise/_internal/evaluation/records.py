"""What ``evaluate`` runs over: the ``data`` argument as a list of records, checked
before anything runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import InvalidParameterError

__all__ = ["DatasetRef", "EvalRecord", "load_records"]


@dataclass(frozen=True)
class EvalRecord:
    record_id: str
    inputs: Mapping[str, Any]
    expectations: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetRef:
    """The collector's dataset the records came from (``data`` given by name)."""

    name: str
    dataset_id: str


def load_records(data: Any) -> tuple[list[EvalRecord], DatasetRef | None]:
    """``data``: a dataset name, a list of dicts / ``DatasetRecord`` s, or a DataFrame
    with an ``inputs`` column (and optionally ``expectations``, ``record_id``)."""
    if isinstance(data, str):
        return _from_dataset(data)
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # a pandas DataFrame
        data = data.to_dict(orient="records")
    if isinstance(data, Mapping) or not hasattr(data, "__iter__"):
        raise InvalidParameterError(
            "data must be a dataset name, a list of records ({'inputs': {...}, "
            "'expectations': {...}}) or a DataFrame with an 'inputs' column"
        )
    records = [_record(item, at) for at, item in enumerate(data)]
    if not records:
        raise InvalidParameterError("data has no records to evaluate")
    return records, None


def _record(item: Any, at: int) -> EvalRecord:
    if hasattr(item, "inputs") and hasattr(item, "record_id"):  # a DatasetRecord
        inputs, expectations, record_id = item.inputs, item.expectations, item.record_id
    elif isinstance(item, Mapping):
        inputs, expectations = item.get("inputs"), item.get("expectations") or {}
        record_id = item.get("record_id") or str(at)
    else:
        raise InvalidParameterError(f"data[{at}] is not a record: expected a dict with 'inputs'")
    if not isinstance(inputs, Mapping) or not all(isinstance(k, str) for k in inputs):
        raise InvalidParameterError(
            f"data[{at}]: 'inputs' must be a dict of the keyword arguments to call predict_fn with"
        )
    if not isinstance(expectations, Mapping):
        raise InvalidParameterError(f"data[{at}]: 'expectations' must be a dict")
    return EvalRecord(str(record_id), dict(inputs), dict(expectations))


def _from_dataset(name: str) -> tuple[list[EvalRecord], DatasetRef]:
    from ..client import Client

    client = Client()
    dataset = client.get_dataset(name)
    if dataset is None:
        raise InvalidParameterError(
            f"no dataset named {name!r} on the collector (spanwise datasets list shows them)"
        )
    records = [
        EvalRecord(r.record_id, dict(r.inputs), dict(r.expectations))
        for r in client.get_dataset_records(name)
    ]
    if not records:
        raise InvalidParameterError(f"dataset {name!r} has no records to evaluate")
    return records, DatasetRef(dataset.name, dataset.dataset_id)
