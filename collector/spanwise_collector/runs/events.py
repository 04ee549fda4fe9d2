"""Run events (protobuf) -> rows of the run tables, validated.

A batch with one invalid event is refused whole (INVALID_ARGUMENT) and changes
nothing: the SDK validates before sending, so such a batch is a bug or a foreign
client, and half-applying it would hide that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["STATUSES", "EventRows", "InvalidRunEvent", "to_rows"]

RUN_ID = re.compile(r"^[0-9a-f]{32}$")
EXPERIMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
STATUSES = frozenset({"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"})
MAX_KEY = 250
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 8000
MAX_NAME = 500


class InvalidRunEvent(ValueError):
    """An event the collector will not store; the message names the event and field."""


@dataclass
class EventRows:
    """Rows per table, in the column order of ``COLUMNS``."""

    experiments: list[list[Any]] = field(default_factory=list)
    runs: list[list[Any]] = field(default_factory=list)
    params: list[list[Any]] = field(default_factory=list)
    tags: list[list[Any]] = field(default_factory=list)
    metrics: list[list[Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(v) for v in vars(self).values())


COLUMNS = {
    "experiments": ("ExperimentId", "Name", "Tags", "CreationTime", "Project"),
    "runs": (
        "ExperimentId",
        "RunId",
        "RunName",
        "Status",
        "StartTime",
        "EndTime",
        "ParentRunId",
        "Project",
        "Version",
    ),
    "run_params": ("RunId", "Key", "Value"),
    "run_tags": ("RunId", "Key", "Value", "Version"),
    "run_metrics": ("RunId", "Key", "Value", "Step", "Timestamp", "EventId"),
}


# What DateTime64(3) holds; a time out of it (seconds or nanoseconds sent as ms) was an
# uncaught ValueError: gRPC UNKNOWN with a traceback, retried by the sender for nothing.
_MIN_MS = int(datetime(1900, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
_MAX_MS = int(datetime(2300, 1, 1, tzinfo=timezone.utc).timestamp() * 1000) - 1


def _ms(value: int, what: str) -> datetime:
    if not _MIN_MS <= value <= _MAX_MS:
        raise InvalidRunEvent(
            f"{what} must be epoch milliseconds between the years 1900 and 2299, got {value}"
        )
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def _check_run(run_id: str, where: str) -> str:
    if not RUN_ID.match(run_id):
        raise InvalidRunEvent(f"{where}: run_id must be 32 lowercase hex characters")
    return run_id


def _check_key(key: str, where: str) -> str:
    if not key or len(key) > MAX_KEY:
        raise InvalidRunEvent(f"{where}: key must have 1 to {MAX_KEY} characters")
    return key


def _check_len(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        raise InvalidRunEvent(f"{what} is longer than {limit} characters")
    return value


def to_rows(events: Any, project: str) -> EventRows:
    """Validate every event of a ``LogBatchRequest`` and sort it into table rows."""
    rows = EventRows()
    for index, event in enumerate(events):
        kind = event.WhichOneof("event")
        where = f"event {index} ({kind})"
        if kind == "metric":
            m = event.metric
            rows.metrics.append([_check_run(m.run_id, where), _check_key(m.key, where),
                                 m.value, m.step, m.timestamp_ms, event.event_id])  # fmt: skip
        elif kind == "param":
            p = event.param
            value = _check_len(p.value, MAX_PARAM_VALUE, f"{where}: param value")
            rows.params.append([_check_run(p.run_id, where), _check_key(p.key, where), value])
        elif kind == "tag":
            t = event.tag
            value = _check_len(t.value, MAX_TAG_VALUE, f"{where}: tag value")
            rows.tags.append([_check_run(t.run_id, where), _check_key(t.key, where), value,
                              t.version])  # fmt: skip
        elif kind == "run_update":
            r = event.run_update
            if r.status not in STATUSES:
                raise InvalidRunEvent(
                    f"{where}: status must be one of {', '.join(sorted(STATUSES))}"
                )
            if not EXPERIMENT_ID.match(r.experiment_id):
                raise InvalidRunEvent(f"{where}: invalid experiment_id {r.experiment_id!r}")
            if r.parent_run_id:
                _check_run(r.parent_run_id, f"{where}: parent")
            rows.runs.append([
                r.experiment_id, _check_run(r.run_id, where),
                _check_len(r.run_name, MAX_KEY, f"{where}: run_name"), r.status,
                _ms(r.start_time_ms, f"{where}: start_time_ms"),
                _ms(r.end_time_ms, f"{where}: end_time_ms") if r.end_time_ms else None,
                r.parent_run_id, project, r.version,
            ])  # fmt: skip
        elif kind == "create_experiment":
            e = event.create_experiment
            if not EXPERIMENT_ID.match(e.experiment_id):
                raise InvalidRunEvent(f"{where}: invalid experiment_id {e.experiment_id!r}")
            if not e.name.strip() or len(e.name) > MAX_NAME:
                raise InvalidRunEvent(f"{where}: name must have 1 to {MAX_NAME} characters")
            rows.experiments.append([e.experiment_id, e.name, dict(e.tags),
                                     _ms(e.creation_time_ms, f"{where}: creation_time_ms"),
                                     project])  # fmt: skip
        else:
            raise InvalidRunEvent(f"event {index} carries no event")
    return rows
