"""``spanwise.search_traces`` and ``spanwise.get_trace``: MLflow's module-level reads,
through a ``Client`` on the configured query URL (``configure(api_url=…)``,
``SPANWISE_API_URL``, else port 4318 on the ``SPANWISE_ENDPOINT`` host)."""

from __future__ import annotations

from typing import Any

from .client import Client
from .types import Trace

__all__ = ["get_trace", "search_traces"]


def get_trace(trace_id: str) -> Trace | None:
    """The trace with all its spans, ``None`` if the collector has no such trace.
    Spans this process has not exported yet are sent first."""
    from . import provider

    provider.flush(5.0)  # the trace may have just ended here
    return Client().get_trace(trace_id)


def search_traces(
    filter_string: str | None = None,
    order_by: list[str] | str | None = None,
    max_results: int = 100,
    *,
    project: str | None = None,
    since: Any = None,
    until: Any = None,
    include_spans: bool = False,
    return_type: str = "list",
    page_token: str | None = None,
) -> Any:
    """``Client().search_traces(…)`` (see there); spans this process has not exported yet
    are sent first. Unlike MLflow's, a list of ``Trace`` by default:
    ``return_type="pandas"`` gives the DataFrame."""
    from . import provider

    provider.flush(5.0)
    return Client().search_traces(
        filter_string, order_by, max_results, page_token=page_token, project=project,
        since=since, until=until, include_spans=include_spans, return_type=return_type,
    )  # fmt: skip
