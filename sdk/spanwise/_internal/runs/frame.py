"""``spanwise.search_runs``: runs as a pandas DataFrame with MLflow's columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..exceptions import InvalidParameterError
from . import ids
from .fluent import flush, get_experiment_name

__all__ = ["search_runs"]

_PAGE = 1000


def _mlflow_tags(info: Any) -> dict[str, str]:
    """The tags MLflow's frame has for every run (and every nested one): ported code
    reads ``df["tags.mlflow.runName"]`` and finds top-level runs with
    ``df["tags.mlflow.parentRunId"].isna()``."""
    tags = {"mlflow.runName": info.run_name}
    if info.parent_run_id:
        tags["mlflow.parentRunId"] = info.parent_run_id
    return tags


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    max_results: int = 100_000,
    experiment_names: Sequence[str] | None = None,
    search_all_experiments: bool = False,
    output_format: str = "pandas",
) -> Any:
    """Runs as a ``pandas.DataFrame``: ``run_id, experiment_id, run_name, status,
    start_time, end_time`` then ``metrics.*``, ``params.*``, ``tags.*`` columns (with
    MLflow's ``tags.mlflow.runName`` and ``tags.mlflow.parentRunId``); with
    ``output_format="list"``, as a list of ``Run`` (MLflow's two formats).

    Without ``experiment_ids``/``experiment_names`` it searches the current
    experiment (``set_experiment``), or every experiment with
    ``search_all_experiments=True``. Run events queued by this process are
    delivered first, so the runs it just logged are included.
    """
    from ..client import Client

    if output_format not in ("pandas", "list"):
        raise InvalidParameterError(
            f"output_format must be 'pandas' or 'list', got {output_format!r}"
        )
    flush()
    # One id, name or sort key given as a string is one item, not its characters.
    experiment_ids, experiment_names, order_by = (
        [v] if isinstance(v, str) else v for v in (experiment_ids, experiment_names, order_by)
    )
    ids_: list[str] = list(experiment_ids or [])
    ids_ += [ids.experiment_id_for(name) for name in experiment_names or []]
    if not ids_ and not search_all_experiments:
        ids_ = [ids.experiment_id_for(get_experiment_name())]
    client = Client()
    runs: list[Any] = []
    token = None
    while len(runs) < max_results:
        page = client.search_runs(ids_, filter_string, order_by,
                                  min(_PAGE, max_results - len(runs)), token)  # fmt: skip
        runs.extend(page)
        token = page.token
        if not token:
            break
    if output_format == "list":
        return runs
    import pandas as pd

    rows = []
    for run in runs:
        info = run.info
        row: dict[str, Any] = {
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "run_name": info.run_name,
            "status": info.status,
            "start_time": pd.to_datetime(info.start_time, unit="ms", utc=True),
            "end_time": pd.to_datetime(info.end_time, unit="ms", utc=True)
            if info.end_time is not None
            else pd.NaT,
        }
        row.update({f"metrics.{k}": v for k, v in run.data.metrics.items()})
        row.update({f"params.{k}": v for k, v in run.data.params.items()})
        row.update({f"tags.{k}": v for k, v in _mlflow_tags(info).items()})
        row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
        rows.append(row)
    base = ["run_id", "experiment_id", "run_name", "status", "start_time", "end_time"]
    frame = pd.DataFrame(rows, columns=None if rows else base)
    # MLflow's column order: attributes, then metrics, params, tags (each sorted).
    extra = sorted(c for c in frame.columns if c not in base)
    order = [p for p in ("metrics.", "params.", "tags.")]
    extra.sort(key=lambda c: (order.index(c.split(".", 1)[0] + "."), c))
    return frame[base + extra]
