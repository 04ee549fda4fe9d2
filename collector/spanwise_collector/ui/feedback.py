"""``/ui/feedback``: what the scores say over time — each feedback name's mean per day
(true = 1) and how many traces have it, e.g. what ``spanwise monitor`` and reviewers
logged (Langfuse's score analytics)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from .. import search
from ..api.deps import get_store
from ..assessments.store import feedback_names
from ..search.window import time_value
from ..store import ClickHouseStore
from .charts import bar_chart
from .filter_links import has_feedback
from .layout import esc, html_errors, link, page, q, table

router = APIRouter(include_in_schema=False)


def _daily(store: ClickHouseStore, name: str, since: str) -> list[dict]:
    return search.analytics(
        store, level="trace", group_by=["day"], metrics=["count", f"feedback_avg:{name}"],
        filter=has_feedback(name), since=since,
    )["rows"]  # fmt: skip


@router.get("/ui/feedback", response_class=HTMLResponse)
@html_errors("Feedback")
async def feedback_page(
    since: str = Query("7d", max_length=100), store: ClickHouseStore = Depends(get_store)
) -> HTMLResponse:
    since = since or "7d"
    start = time_value(since, datetime(1970, 1, 1, tzinfo=UTC))
    names = await run_in_threadpool(feedback_names, store, start)
    form = (f'<form method="get"><input type="text" name="since" value="{esc(since)}" '
            'style="flex:0 0 11em"><button>Show</button></form>')  # fmt: skip
    if not names:
        return page("Feedback", form + "<p>No feedback on traces in this window.</p>", "Feedback")
    body = form
    rows = []
    for name, _ in names:
        daily = await run_in_threadpool(_daily, store, name, since)
        metric = f"feedback_avg:{name}"
        means = [(str(r["key"]["day"]), r[metric]) for r in daily if r.get(metric) is not None]
        body += bar_chart(f"{name}: mean per day (true = 1)", [(d, float(v)) for d, v in means])
        where = has_feedback(name)
        for r in daily:
            traces = link(f"/ui/traces?filter={q(where)}&since={q(since)}", str(r["count"]))
            mean = r.get(metric)
            rows.append([esc(name), esc(r["key"]["day"]), traces,
                         "" if mean is None else f"{mean:.3g}"])  # fmt: skip
    body += table(["feedback", "day", "traces", "mean"], rows, (2, 3))
    return page("Feedback by day", body, "Feedback")
