"""Runs side by side (Langfuse's and Phoenix's experiment comparison): their metrics,
then per evaluated record each run's feedback, linked to the record's trace."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from spanwise import Run, Trace
from spanwise._internal.attributes import EVALUATION_RECORD_ID
from starlette.concurrency import run_in_threadpool

from ..api.deps import get_store
from ..assessments import trace_assessments
from ..query import runs as qr
from ..query.errors import NotFound, QueryError
from ..store import ClickHouseStore
from .layout import esc, html_errors, link, page, q, table
from .runs import metric_charts
from .traces import newest_feedback

router = APIRouter(include_in_schema=False)

MAX_RUNS = 5
MAX_TRACES = 10_000  # per run: an evaluation's records, read a page (1000) at a time


def _run_traces(store: ClickHouseStore, run_id: str) -> tuple[list[Trace], bool]:
    """The run's traces, newest first, up to MAX_TRACES; and whether there were more."""
    traces: list[Trace] = []
    token = None
    while len(traces) < MAX_TRACES:
        found = qr.run_traces(store, run_id, 1000, token)
        traces += [Trace.from_dict(t) for t in found["traces"]]
        token = found["next_page_token"]
        if not token:
            return traces[:MAX_TRACES], False
    return traces[:MAX_TRACES], True


def _load(store: ClickHouseStore, run_id: str) -> tuple[Run, dict[str, tuple[str, dict]], bool]:
    found = qr.get_run(store, run_id)
    if found is None:
        raise NotFound(f"no run with id {run_id}")
    traces, more = _run_traces(store, run_id)
    feedback = trace_assessments(store, [t.info.trace_id for t in traces]) if traces else {}
    by_record = {
        t.info.metadata.get(EVALUATION_RECORD_ID, t.info.trace_id): (
            t.info.trace_id,
            newest_feedback(feedback.get(t.info.trace_id, [])),
        )
        for t in reversed(traces)  # oldest first: a record evaluated twice keeps the newest
    }
    return Run.from_dict(found), by_record, more


@router.get("/ui/compare", response_class=HTMLResponse)
@html_errors("Experiments")
async def compare_page(
    run: list[str] = Query(default=[]), store: ClickHouseStore = Depends(get_store)
) -> HTMLResponse:
    ids = list(dict.fromkeys(run))
    if not 2 <= len(ids) <= MAX_RUNS:
        raise QueryError(
            f"pick 2 to {MAX_RUNS} runs to compare (the boxes on an experiment's page)"
        )
    loaded = [await run_in_threadpool(_load, store, rid) for rid in ids]
    runs = [r for r, _, _ in loaded]
    names = [r.info.run_name or r.info.run_id for r in runs]
    heads = [link(f"/ui/runs/{q(r.info.run_id)}", n) for r, n in zip(runs, names)]
    keys = sorted({k for r in runs for k in r.data.metrics})
    metric_rows = [[esc(k), *(esc(f"{r.data.metrics[k]:.6g}") if k in r.data.metrics else ""
                             for r in runs)] for k in keys]  # fmt: skip
    histories = await run_in_threadpool(qr.metric_histories, store, [r.info.run_id for r in runs])
    body = "<h2>Metrics</h2>" + metric_charts(
        histories, {r.info.run_id: n for r, n in zip(runs, names)}
    )
    body += table(["metric", *heads], metric_rows, html_headers=True)
    records = list(dict.fromkeys(rec for _, by, _ in loaded for rec in by))
    score_names = sorted({n for _, by, _ in loaded for _, s in by.values() for n in s})
    rows = []
    for rec in records:
        cells = [f'<span class="id">{esc(rec)}</span>']
        for _, by, _ in loaded:
            if rec not in by:
                cells.append('<span class="muted">—</span>')
                continue
            trace_id, scores = by[rec]
            shown = ", ".join(f"{n}={scores[n]}" for n in score_names if n in scores)
            cells.append(f"{link(f'/ui/traces/{trace_id}', shown or 'trace')}")
        rows.append(cells)
    body += f"<h2>Records ({len(records)})</h2>"
    if any(more for _, _, more in loaded):
        body += (f'<p class="muted">Only each run\'s newest {MAX_TRACES} traces are compared '
                 "here; the API has them all.</p>")  # fmt: skip
    body += table(["record", *heads], rows, html_headers=True)
    return page("Compare " + " · ".join(names), body, "Experiments")
