"""What run and experiment searches may filter and sort on (MLflow's names).

``metrics.<key>`` reads the latest value kept per (run, key), never the history;
``params.<key>`` / ``tags.<key>`` compare as strings, or as numbers when the
filter value is a number (``params.max_depth > 5``).
"""

from __future__ import annotations

from spanwise_collector.filters import DATETIME, ENUM, NUMBER, Field, Prefix, Schema

__all__ = ["EXPERIMENT_SCHEMA", "RUN_SCHEMA", "RUN_STATUSES"]

RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
# MLflow accepts these spellings of the attribute namespace, and none at all: a bare
# identifier is an attribute there (``order_by=["start_time DESC"]``, ``status = 'FAILED'``).
_ATTRIBUTE_PREFIXES = ("attribute", "attr", "run")


def _attribute(name: str, sql: str, **kwargs: object) -> Field:
    aliases = (name, *(f"{p}.{name}" for p in _ATTRIBUTE_PREFIXES))
    extra = tuple(kwargs.pop("aliases", ()))  # type: ignore[arg-type]
    return Field(f"attributes.{name}", sql=sql, aliases=aliases + extra, **kwargs)  # type: ignore[arg-type]


RUN_SCHEMA = Schema(
    _attribute("run_id", "RunId"),
    _attribute("experiment_id", "ExperimentId"),
    _attribute("run_name", "RunName", aliases=("tags.mlflow.runName",)),
    _attribute("status", "Status", type=ENUM, values=RUN_STATUSES),
    _attribute("start_time", "StartTime", type=DATETIME),
    _attribute("end_time", "EndTime", type=DATETIME, nullable=True),
    # MLflow keeps the parent in this tag: its docs find child runs with it. NULL for a
    # top-level run (stored as ''), as the API shows it: IS NULL finds top-level runs.
    _attribute("parent_run_id", "ParentRunId", aliases=("tags.mlflow.parentRunId",), nullable=True),
    Prefix(
        "metrics",
        sql_template="Metrics[{key}]",
        presence="mapContains(Metrics, {key})",
        type=NUMBER,
        aliases=("metric",),
    ),
    Prefix(
        "params",
        sql_template="Params[{key}]",
        presence="mapContains(Params, {key})",
        aliases=("param",),
    ),
    Prefix(
        "tags", sql_template="Tags[{key}]", presence="mapContains(Tags, {key})", aliases=("tag",)
    ),
)

EXPERIMENT_SCHEMA = Schema(
    _attribute("name", "Name"),
    _attribute("experiment_id", "ExperimentId"),
    _attribute("creation_time", "CreationTime", type=DATETIME),
    _attribute("last_update_time", "LastUpdateTime", type=DATETIME),
    Prefix(
        "tags", sql_template="Tags[{key}]", presence="mapContains(Tags, {key})", aliases=("tag",)
    ),
)
