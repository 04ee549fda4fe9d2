"""Delete every trace a search matches (filter and time window), a bounded number per call."""

from __future__ import annotations

from typing import Any

from ..query.errors import QueryError
from ..search import search_traces
from ..search.window import MAX_RESULTS
from ..store import ClickHouseStore
from .delete import MAX_IDS, DeletedTraces, delete_traces

__all__ = ["MAX_TRACES", "delete_matching"]

MAX_TRACES = 10_000  # traces per call; the caller repeats while ``more`` is true


def delete_matching(
    store: ClickHouseStore,
    *,
    filter: str | None = None,
    since: Any = None,
    until: Any = None,
    project: str | None = None,
    max_traces: int = MAX_TRACES,
) -> dict[str, Any]:
    """Delete up to ``max_traces`` of the traces the search matches (of ``project``, or of
    every project), newest first. ``more`` says whether matching traces are left. QueryError/FilterError on bad
    arguments (nothing deleted); a request with neither a filter nor a time bound is
    refused: deleting a whole project takes ``until`` (e.g. ``"0d"``, now)."""
    if not filter and since is None and until is None:
        raise QueryError(
            "say which traces to delete: trace_ids, a filter, or a time window"
            " (until='30d' deletes the traces that started more than 30 days ago)"
        )
    if not 1 <= max_traces <= MAX_TRACES:
        raise QueryError(f"max_traces must be between 1 and {MAX_TRACES}, got {max_traces}")
    ids: list[str] = []
    token = None
    more = False
    while len(ids) < max_traces:
        page = search_traces(
            store, filter=filter, since=since, until=until, project=project,
            page_token=token, max_results=min(MAX_RESULTS, max_traces - len(ids)),
            fields=["trace_id"],
        )  # fmt: skip
        ids.extend(t["info"]["trace_id"] for t in page["traces"])
        token = page.get("next_page_token")
        if not token:
            break
        more = len(ids) >= max_traces
    done: list[str] = []
    spans = 0
    for start in range(0, len(ids), MAX_IDS):
        result: DeletedTraces = delete_traces(store, ids[start : start + MAX_IDS], project)
        done.extend(result.trace_ids)
        spans += result.spans
    return {**DeletedTraces(tuple(done), spans).to_json(), "more": more}
