"""Pages of what the registry keeps beside the traces: datasets, prompts, and costs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from .. import datasets as ds
from .. import prompts as pr
from ..api.deps import get_store
from ..query import costs as qc
from ..store import ClickHouseStore
from .charts import bar_chart
from .filter_links import has_tag
from .layout import cost, esc, html_errors, json_block, link, page, q, table, when

router = APIRouter(include_in_schema=False)


def _short(value: object, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")


@router.get("/ui/datasets", response_class=HTMLResponse)
@html_errors("Datasets")
async def datasets_page(store: ClickHouseStore = Depends(get_store)) -> HTMLResponse:
    found = await run_in_threadpool(ds.list_datasets, store)
    rows = [[link(f"/ui/datasets/{q(d['name'])}", d["name"]), str(d["record_count"]),
             esc(d["description"] or ""), esc(when(d["last_update_time_ms"]))] for d in found]  # fmt: skip
    return page("Datasets", table(["name", "records", "description", "updated (UTC)"], rows, (1,)),
                "Datasets")  # fmt: skip


@router.get("/ui/datasets/{name}", response_class=HTMLResponse)
@html_errors("Datasets")
async def dataset_page(
    name: str, page_token: str | None = Query(None, max_length=4_096),
    store: ClickHouseStore = Depends(get_store),
) -> HTMLResponse:  # fmt: skip
    dataset = await run_in_threadpool(ds.get_dataset, store, ds.validate_name(name))
    found = await run_in_threadpool(ds.list_records, store, name, 200, page_token)
    rows = [[f'<span class="id">{esc(r["record_id"])}</span>', _short(r["inputs"]),
             _short(r["expectations"]) if r["expectations"] else "",
             link(f"/ui/traces/{r['source_trace_id']}", "trace") if r["source_trace_id"] else ""]
            for r in found["records"]]  # fmt: skip
    body = f"<p>{dataset['record_count']} record(s). {esc(dataset['description'] or '')}</p>"
    body += table(["record", "inputs", "expectations", "source"], rows)
    token = found["next_page_token"]
    if token:
        body += f"<p>{link(f'/ui/datasets/{q(name)}?page_token={q(token)}', 'next page →')}</p>"
    return page(f"Dataset {name}", body, "Datasets")


@router.get("/ui/prompts", response_class=HTMLResponse)
@html_errors("Prompts")
async def prompts_page(store: ClickHouseStore = Depends(get_store)) -> HTMLResponse:
    found = await run_in_threadpool(pr.list_prompts, store)
    rows = [[link(f"/ui/prompts/{q(p['name'])}", p["name"]), str(p["latest_version"]),
             str(p["version_count"]), esc(", ".join(f"{a}→v{v}" for a, v in p["aliases"].items())),
             esc(p["commit_message"] or ""), esc(when(p["last_update_time_ms"]))] for p in found]  # fmt: skip
    headers = ["name", "latest", "versions", "aliases", "message", "updated (UTC)"]
    return page("Prompts", table(headers, rows, (1, 2)), "Prompts")


@router.get("/ui/prompts/{name}", response_class=HTMLResponse)
@html_errors("Prompts")
async def prompt_page(name: str, store: ClickHouseStore = Depends(get_store)) -> HTMLResponse:
    found = await run_in_threadpool(pr.get_prompt, store, pr.validate_name(name))
    body = ""
    for v in found["versions"]:
        aliases = f" · {esc(', '.join(v['aliases']))}" if v["aliases"] else ""
        body += (
            f"<h2>v{v['version']} <small class=muted>{esc(v['type'])} · "
            f"{esc(when(v['create_time_ms']))}{aliases}</small></h2>"
            f"<p>{esc(v['commit_message'] or '')}</p>{json_block(v['template'])}"
        )
        if v["config"]:
            body += f"<details><summary>config</summary>{json_block(v['config'])}</details>"
    traces = link(f"/ui/traces?filter={q(has_tag(f'prompt.{name}'))}", "traces that used it")
    return page(f"Prompt {name}", f"<p>{traces}</p>{body}", "Prompts")


@router.get("/ui/costs", response_class=HTMLResponse)
@html_errors("Costs")
async def costs_page(
    since: str = Query("7d", max_length=100), store: ClickHouseStore = Depends(get_store)
) -> HTMLResponse:
    # The numbers of /api/v1/costs and `spanwise costs`: LLM calls, each counted once (a
    # framework span and the client span inside it are one call), not every span.
    since = since.strip() or "7d"
    now = datetime.now(UTC)
    start = qc.parse_time(since, default=now, name="since")
    found = await run_in_threadpool(
        qc.cost_summary, store, ["day", "model"], start, now + timedelta(seconds=1)
    )
    found["rows"].sort(key=lambda r: (str(r["key"]["day"]), -Decimal(r["cost"] or 0)))
    rows = []
    per_day: dict[str, Decimal] = {}
    for row in found["rows"]:
        day = str(row["key"]["day"])
        spent = Decimal(row["cost"] or 0)
        per_day[day] = per_day.get(day, Decimal(0)) + spent
        unpriced = row["unpriced_calls"]
        rows.append([esc(day), esc(row["key"]["model"] or "(no model)"), str(row["calls"]),
                     str(row["input_tokens"]), str(row["output_tokens"]),
                     esc(cost(spent)) if unpriced < row["calls"] else "",
                     f'<span class="err">{unpriced}</span>' if unpriced else "0"])  # fmt: skip
    form = (f'<form method="get"><input type="text" name="since" value="{esc(since)}" '
            'style="flex:0 0 11em"><button>Show</button></form>')  # fmt: skip
    total = Decimal(found["total"]["cost"] or 0)
    body = form + f"<p>Total {esc(cost(total))} since {esc(since)}.</p>"
    body += bar_chart(
        "Cost per day (USD)", [(d, float(v)) for d, v in sorted(per_day.items())], "$"
    )
    headers = ["day", "model", "calls", "input tokens", "output tokens", "cost", "unpriced calls"]
    body += table(headers, rows, (2, 3, 4, 5, 6))
    return page("Costs by day and model", body, "Costs")
