"""What ``evaluate`` runs over: the ``data`` argument as a list of records, checked
before anything runs."""

from __future__ import annotations

import decimal
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import InvalidParameterError

__all__ = ["MAX_NAME", "MAX_TEXT", "NO_OUTPUTS", "DatasetRef", "EvalRecord", "is_json", "is_name", "load_records",
           "plain"]  # fmt: skip

MAX_NAME = 250  # the collector's limits on an assessment's name and its texts
MAX_TEXT = 65_536


#: A record without ``outputs`` (the app is run to get them).
NO_OUTPUTS: Any = type("NoOutputs", (), {"__repr__": lambda self: "NO_OUTPUTS"})()


@dataclass(frozen=True)
class EvalRecord:
    record_id: str
    inputs: Mapping[str, Any]
    expectations: Mapping[str, Any] = field(default_factory=dict)
    outputs: Any = NO_OUTPUTS  # answers given with the data: scored as they are


@dataclass(frozen=True)
class DatasetRef:
    """The collector's dataset the records came from (``data`` given by name)."""

    name: str
    dataset_id: str


def load_records(data: Any) -> tuple[list[EvalRecord], DatasetRef | None]:
    """``data``: a dataset (its name, or the ``Dataset`` ``get_dataset`` returned, as
    MLflow's evaluate takes its dataset objects), a list of dicts / ``DatasetRecord`` s,
    or a DataFrame with an ``inputs`` column (and optionally ``expectations``,
    ``record_id``)."""
    from ..datasets import Dataset

    if isinstance(data, Dataset):
        data = data.name
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
        outputs = NO_OUTPUTS
    elif isinstance(item, Mapping):
        inputs = item.get("inputs")
        expectations = _absent_or(item.get("expectations"), {})
        record_id = _absent_or(item.get("record_id"), str(at))
        outputs = item.get("outputs")
        if not (isinstance(outputs, str) and not outputs):  # "": an (empty) answer to score
            outputs = _absent_or(outputs, NO_OUTPUTS)  # None, NaN: a DataFrame's hole
    else:
        raise InvalidParameterError(f"data[{at}] is not a record: expected a dict with 'inputs'")
    if not isinstance(inputs, Mapping) or not all(isinstance(k, str) for k in inputs):
        raise InvalidParameterError(
            f"data[{at}]: 'inputs' must be a dict of the keyword arguments to call predict_fn with"
        )
    if not isinstance(expectations, Mapping):
        raise InvalidParameterError(f"data[{at}]: 'expectations' must be a dict")
    for key, value in expectations.items():
        if not is_name(key):
            raise InvalidParameterError(
                f"data[{at}]: expectation names must be text of 1 to {MAX_NAME} characters"
            )
        if not is_json(value):  # they are logged on the trace: refused there, after the run
            raise InvalidParameterError(
                f"data[{at}]: expectation {key!r} is not a JSON value (finite numbers, text, "
                "true/false, null, lists and dicts of them; up to 64 KiB)"
            )
    return EvalRecord(str(record_id), dict(inputs), dict(expectations), outputs)


def _absent_or(value: Any, default: Any) -> Any:
    """A DataFrame fills a column a record does not have with NaN: absent, like None."""
    if value is None or (isinstance(value, str) and not value):
        return default
    if isinstance(value, float) and math.isnan(value):
        return default
    return value


def plain(value: Any) -> Any:
    """Values of other kinds as JSON ones, inside lists and dicts too: numpy scalars and
    arrays (``np.bool_`` from ``score > 0.5``, ``np.int64`` from a DataFrame) as Python
    values, ``Decimal`` (a trace's cost) and other numbers as numbers."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "dtype") and hasattr(value, "tolist"):  # numpy, without importing it
        return plain(value.tolist())
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return float(value)
    return value


def is_json(value: Any) -> bool:
    """What the collector stores as an assessment value: JSON without NaN or infinity,
    at most ``MAX_TEXT`` characters of it."""
    try:
        text = json.dumps(plain(value), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return len(text) <= MAX_TEXT


def is_name(name: Any) -> bool:
    return isinstance(name, str) and len(name.strip()) > 0 and len(name) <= MAX_NAME


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
