"""Experiments: get by id or name, search with a filter string."""

from __future__ import annotations

import json
from typing import Any

from ..store import ClickHouseStore
from .errors import QueryError
from .offset_page import open_offset_page
from .run_schema import EXPERIMENT_SCHEMA

__all__ = ["get_experiment", "search_experiments"]


# Re-deliveries of the creation event collapse by id; the first creation wins.
_EXPERIMENTS = """
SELECT ExperimentId, any(Name) AS Name, argMin(Tags, IngestedAt) AS Tags,
       min(CreationTime) AS CreationTime,
       toUnixTimestamp64Milli(CreationTime) AS creation_ms,
       max(IngestedAt) AS LastUpdateTime,
       toUnixTimestamp64Milli(LastUpdateTime) AS update_ms
FROM experiments GROUP BY ExperimentId
"""


def experiment_to_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "experiment_id": row["ExperimentId"],
        "name": row["Name"],
        "tags": dict(row["Tags"]),
        "creation_time": int(row["creation_ms"]),
        "last_update_time": int(row["update_ms"]),
        "lifecycle_stage": "active",
    }


def get_experiment(
    store: ClickHouseStore, experiment_id: str | None = None, name: str | None = None
) -> dict[str, Any] | None:
    if (experiment_id is None) == (name is None):
        raise QueryError("pass exactly one of experiment_id and name")
    column, value = ("ExperimentId", experiment_id) if name is None else ("Name", name)
    rows = store.query_dicts(
        f"SELECT * FROM ({_EXPERIMENTS}) WHERE {column} = {{value:String}} "
        "ORDER BY CreationTime LIMIT 1",
        {"value": value},
    )
    return experiment_to_json(rows[0]) if rows else None


def search_experiments(
    store: ClickHouseStore,
    filter_string: str = "",
    order_by: list[str] | None = None,
    max_results: int = 1000,
    page_token: str | None = None,
) -> dict[str, Any]:
    """Experiments matching ``filter_string`` (``name LIKE 'house%'``, ``tags.team = 'x'``)."""
    fingerprint = json.dumps([filter_string or "", order_by or []])
    page = open_offset_page(EXPERIMENT_SCHEMA, filter_string, order_by or [], max_results,
                            page_token, fingerprint)  # fmt: skip
    ordering = f"{page.order.sql}, " if page.order.sql else "CreationTime DESC, "
    rows, token = page.cut(store.query_dicts(
        f"SELECT * FROM ({_EXPERIMENTS}) WHERE {page.where.sql} "
        f"ORDER BY {ordering}ExperimentId LIMIT {{limit:UInt32}} OFFSET {{offset:UInt64}}",
        page.params(),
    ))  # fmt: skip
    return {"experiments": [experiment_to_json(r) for r in rows], "next_page_token": token}
