"""Evaluation datasets: named sets of records (inputs, expectations) kept next to the
traces and runs; see ``store/datasets_ddl.py`` for the tables."""

from .model import parse_create, parse_record_ids, parse_records, parse_update, validate_name
from .store import (
    create_dataset,
    delete_dataset,
    delete_records,
    get_dataset,
    list_datasets,
    list_records,
    merge_records,
    update_dataset,
)

__all__ = [
    "create_dataset",
    "delete_dataset",
    "delete_records",
    "get_dataset",
    "list_datasets",
    "list_records",
    "merge_records",
    "parse_create",
    "parse_record_ids",
    "parse_records",
    "parse_update",
    "update_dataset",
    "validate_name",
]
