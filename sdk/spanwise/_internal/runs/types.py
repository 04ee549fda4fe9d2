"""Run result shapes, MLflow's names: ``run.info.run_id``, ``run.data.metrics["rmse"]``.

Built from the collector's JSON, where non-finite metric values are the strings
"NaN", "Infinity" and "-Infinity" (JSON has no such numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Experiment", "FileInfo", "Metric", "Run", "RunData", "RunInfo", "metric_value"]


def metric_value(value: Any) -> float:
    return float(value)  # float("NaN"), float("Infinity"), float("-Infinity") all parse


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    tags: Mapping[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None
    lifecycle_stage: str = "active"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Experiment:
        return cls(
            experiment_id=d["experiment_id"],
            name=d["name"],
            tags=dict(d.get("tags") or {}),
            creation_time=d.get("creation_time"),
            last_update_time=d.get("last_update_time"),
            lifecycle_stage=d.get("lifecycle_stage") or "active",
        )


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    status: str
    start_time: int  # epoch milliseconds, as in MLflow
    end_time: int | None = None
    parent_run_id: str | None = None
    lifecycle_stage: str = "active"

    @property
    def run_uuid(self) -> str:  # MLflow's older name
        return self.run_id

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunInfo:
        return cls(
            run_id=d["run_id"],
            experiment_id=d["experiment_id"],
            run_name=d.get("run_name") or "",
            status=d["status"],
            start_time=int(d["start_time"]),
            end_time=None if d.get("end_time") is None else int(d["end_time"]),
            parent_run_id=d.get("parent_run_id") or None,
            lifecycle_stage=d.get("lifecycle_stage") or "active",
        )


@dataclass(frozen=True)
class RunData:
    """``metrics`` holds the latest value of each metric (highest step, then timestamp)."""

    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunData:
        return cls(
            params=dict(d.get("params") or {}),
            metrics={k: metric_value(v) for k, v in (d.get("metrics") or {}).items()},
            tags=dict(d.get("tags") or {}),
        )


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Run:
        return cls(RunInfo.from_dict(d["info"]), RunData.from_dict(d.get("data") or {}))


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int  # epoch milliseconds
    step: int

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Metric:
        return cls(d["key"], metric_value(d["value"]), int(d["timestamp"]), int(d["step"]))


@dataclass(frozen=True)
class FileInfo:
    path: str
    is_dir: bool
    file_size: int | None = None
