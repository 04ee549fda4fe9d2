"""Pages of experiment tracking: experiments, an experiment's runs with their params and
latest metrics side by side, one run with its traces."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from spanwise import Experiment, Run, Trace
from starlette.concurrency import run_in_threadpool

from ..api.deps import get_store
from ..api.runs import get_artifacts
from ..query import experiments as qe
from ..query import runs as qr
from ..query.errors import NotFound
from ..runs.artifacts import ArtifactStore
from ..store import ClickHouseStore
from .charts import line_chart
from .layout import esc, html_errors, json_block, link, ms, page, q, table, when
from .traces import trace_table

router = APIRouter(include_in_schema=False)

MAX_COLUMNS = 12  # params/metrics shown as columns; the rest on the run's page
TRACES_PER_PAGE = 100
RUNS_PER_PAGE = 100  # MLflow's page of runs
MAX_CHARTS = 24  # metric charts on a page; every value is still in its table
MAX_ARTIFACTS = 200  # files listed on a run's page; the API lists every one


def metric_charts(histories: dict[str, dict[str, list[tuple[int, float]]]],
                  names: dict[str, str]) -> str:  # fmt: skip
    """A chart per metric logged at two or more steps (one line per run), else ``""``."""
    keys = sorted({k for series in histories.values() for k, pts in series.items()
                   if len(pts) > 1})[:MAX_CHARTS]  # fmt: skip
    charts = "".join(
        line_chart(
            key, [(names[rid], series[key]) for rid, series in histories.items() if key in series]
        )
        for key in keys
    )
    return f'<div class="charts">{charts}</div>' if charts else ""


def _artifact_files(artifacts: ArtifactStore, run_id: str) -> list[dict]:
    """The run's files, every directory walked (breadth first), up to one more than the
    page shows (to tell that there are more)."""
    files: list[dict] = []
    dirs = [""]
    while dirs and len(files) <= MAX_ARTIFACTS:
        for entry in artifacts.list(run_id, dirs.pop(0)):
            if entry["is_dir"]:
                dirs.append(entry["path"])
            else:
                files.append(entry)
    return files


def _number(value: float) -> str:
    return f"{value:.6g}"


@router.get("/ui/experiments", response_class=HTMLResponse)
@html_errors("Experiments")
async def experiments_page(store: ClickHouseStore = Depends(get_store)) -> HTMLResponse:
    found = await run_in_threadpool(qe.search_experiments, store, "", None, 1000, None)
    experiments = [Experiment.from_dict(e) for e in found["experiments"]]
    rows = [[link(f"/ui/experiments/{q(e.experiment_id)}", e.name), esc(when(e.creation_time)),
             esc(", ".join(f"{k}={v}" for k, v in e.tags.items())),
             f'<span class="id">{esc(e.experiment_id)}</span>'] for e in experiments]  # fmt: skip
    return page("Experiments", table(["name", "created (UTC)", "tags", "id"], rows), "Experiments")


def _duration(run: Run) -> str:
    if not run.info.end_time:
        return ""
    return ms(float(run.info.end_time - run.info.start_time))


@router.get("/ui/experiments/{experiment_id}", response_class=HTMLResponse)
@html_errors("Experiments")
async def experiment_page(
    experiment_id: str, page_token: str | None = Query(None, max_length=4_096),
    store: ClickHouseStore = Depends(get_store),
) -> HTMLResponse:  # fmt: skip
    found = await run_in_threadpool(qe.get_experiment, store, experiment_id, None)
    if found is None:
        raise NotFound(f"no experiment with id {experiment_id}")
    experiment = Experiment.from_dict(found)
    runs_json = await run_in_threadpool(
        qr.search_runs, store, [experiment_id], "", ["attr.start_time DESC"], RUNS_PER_PAGE,
        page_token,
    )  # fmt: skip
    runs = [Run.from_dict(r) for r in runs_json["runs"]]
    params = sorted({k for r in runs for k in r.data.params})[:MAX_COLUMNS]
    metrics = sorted({k for r in runs for k in r.data.metrics})[:MAX_COLUMNS]
    headers = ["compare", "run", "status", "start (UTC)", "duration",
               *(f"params.{p}" for p in params), *(f"metrics.{m}" for m in metrics)]  # fmt: skip
    rows = [[
        f'<input type="checkbox" name="run" value="{esc(r.info.run_id)}">',
        link(f"/ui/runs/{q(r.info.run_id)}", r.info.run_name or r.info.run_id),
        f'<span class="{"ERROR" if r.info.status == "FAILED" else ""}">{esc(r.info.status)}</span>',
        esc(when(r.info.start_time)), esc(_duration(r)),
        *(esc(r.data.params.get(p, "")) for p in params),
        *(esc(_number(r.data.metrics[m])) if m in r.data.metrics else "" for m in metrics),
    ] for r in runs]  # fmt: skip
    first_metric = 5 + len(params)
    numeric = (4, *range(first_metric, first_metric + len(metrics)))
    body = (
        '<form class="pick" method="get" action="/ui/compare">'
        f"{table(headers, rows, numeric)}<button>Compare the ticked runs</button></form>"
    )
    token = runs_json["next_page_token"]
    if token:
        more = f"/ui/experiments/{q(experiment_id)}?page_token={q(token)}"
        body += f"<p>{link(more, 'next page →')}</p>"
    return page(f"Experiment {experiment.name}", body, "Experiments")


@router.get("/ui/runs/{run_id}", response_class=HTMLResponse)
@html_errors("Experiments")
async def run_page(
    run_id: str, page_token: str | None = Query(None, max_length=4_096),
    store: ClickHouseStore = Depends(get_store), artifacts: ArtifactStore = Depends(get_artifacts),
) -> HTMLResponse:  # fmt: skip
    found = await run_in_threadpool(qr.get_run, store, run_id)
    if found is None:
        raise NotFound(f"no run with id {run_id}")
    run = Run.from_dict(found)
    traces_json = await run_in_threadpool(qr.run_traces, store, run_id, TRACES_PER_PAGE, page_token)
    traces = [Trace.from_dict(t) for t in traces_json["traces"]]
    histories = await run_in_threadpool(qr.metric_histories, store, [run_id])
    info = run.info
    body = (
        f"<p>{link(f'/ui/experiments/{q(info.experiment_id)}', '← experiment')} · "
        f"{esc(info.status)} · started {esc(when(info.start_time))} · {esc(_duration(run))} · "
        f'<span class="id">{esc(info.run_id)}</span></p>'
    )
    body += metric_charts(histories, {info.run_id: info.run_name or info.run_id})
    body += "<h2>Metrics (latest)</h2>" + table(
        ["key", "value"],
        [[esc(k), esc(_number(v))] for k, v in sorted(run.data.metrics.items())],
        (1,),
    )
    body += "<h2>Params</h2>" + table(
        ["key", "value"], [[esc(k), esc(v)] for k, v in sorted(run.data.params.items())]
    )
    if run.data.tags:
        body += f"<details><summary>tags</summary>{json_block(dict(run.data.tags))}</details>"
    files = await run_in_threadpool(_artifact_files, artifacts, info.run_id)
    if files:
        rows = [[link(f"/api/v1/runs/{q(info.run_id)}/artifacts/{quote(f['path'])}", f["path"]),
                 str(f["file_size"])] for f in files[:MAX_ARTIFACTS]]  # fmt: skip
        count = f"first {MAX_ARTIFACTS}" if len(files) > MAX_ARTIFACTS else str(len(files))
        body += f"<h2>Artifacts ({count})</h2>" + table(["path", "bytes"], rows, (1,))
    token = traces_json["next_page_token"]
    shown = f"{len(traces)}{'+' if token else ''}" if not page_token else "continued"
    body += f"<h2>Traces ({shown})</h2>" + await trace_table(store, traces)
    if token:
        more = f"/ui/runs/{q(info.run_id)}?page_token={q(token)}"
        body += f"<p>{link(more, 'next page →')}</p>"
    return page(f"Run {info.run_name or info.run_id}", body, "Experiments")
