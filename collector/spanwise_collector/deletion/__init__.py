"""Deleting traces: by id, or every trace a search matches (``store/deletions_ddl.py``)."""

from .delete import MAX_IDS, DeletedTraces, delete_traces, finish_pending, purge
from .select import delete_matching

__all__ = [
    "MAX_IDS",
    "DeletedTraces",
    "delete_matching",
    "delete_traces",
    "finish_pending",
    "purge",
]
