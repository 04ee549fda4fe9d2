"""Pages of traces: the searchable list, one trace as a span tree, sessions."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from spanwise import SessionInfo, Span, Trace
from starlette.concurrency import run_in_threadpool

from .. import search
from ..api.deps import get_store
from ..api.traces import load_trace
from ..assessments import trace_assessments
from ..filters import FilterError
from ..query.errors import NotFound, QueryError
from ..query.runs import validate_run_id
from ..search.sessions import MAX_SESSION_ID
from ..store import ClickHouseStore
from .filter_links import tag_is
from .layout import cost, esc, html_errors, json_block, link, ms, page, q, table, when

router = APIRouter(include_in_schema=False)

EXAMPLE = "span.model = 'gpt-4o' AND trace.cost > 0.01"
MAX_FILTER = 10_000  # characters of ?filter=


def newest_feedback(items: list[dict[str, Any]]) -> dict[str, str]:
    """A trace's newest feedback per name as text (``error`` for a failed judge): what an
    evaluation scored. ``items``: the trace's assessments, oldest first."""
    newest: dict[str, str] = {}
    for a in items:  # oldest first: later ones win
        if a["kind"] == "feedback":
            value = "error" if a.get("error") else json.dumps(a["value"], ensure_ascii=False)
            newest[a["name"]] = value if len(value) <= 40 else value[:39] + "…"
    return newest


def _value(value: Any) -> str:
    """An assessment's value as the API gives it (JSON: true, null, {"k": 1}); text as is."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _feedback(items: list[dict[str, Any]]) -> str:
    return esc(", ".join(f"{k}={v}" for k, v in newest_feedback(items).items()))


async def trace_table(store: ClickHouseStore, traces: list[Trace]) -> str:
    """Traces as a table row each, with their feedback (one query for the page)."""
    ids = [t.info.trace_id for t in traces]
    found = await run_in_threadpool(trace_assessments, store, ids) if ids else {}
    rows = [[
        esc(when(t.info.start_time_ms)), link(f"/ui/traces/{t.info.trace_id}", t.info.name or "(unnamed)"),
        f'<span class="{esc(t.info.status)}">{esc(t.info.status)}</span>', esc(ms(t.info.duration_ms)),
        f"{t.info.input_tokens or ''} / {t.info.output_tokens or ''}", esc(cost(t.info.cost)),
        _feedback(found.get(t.info.trace_id, [])), _tags(t.info.tags),
        _session(t.info.session_id),
        esc(t.info.user_id or ""), f'<span class="id">{esc(t.info.trace_id)}</span>',
    ] for t in traces]  # fmt: skip
    headers = ["start (UTC)", "name", "status", "duration", "tokens in / out", "cost",
               "feedback", "tags", "session", "user", "trace id"]  # fmt: skip
    return table(headers, rows, numeric=(3, 4, 5))


def _session(session_id: str | None) -> str:
    """A link to the session's page, or its text when the page cannot take so long an
    id (the trace still carries it: ingest keeps any length)."""
    if not session_id:
        return ""
    if len(session_id) > MAX_SESSION_ID:
        return esc(session_id)
    return link(f"/ui/sessions/{q(session_id)}", session_id)


def _run(run_id: str | None) -> str:
    """A link to the run's page, or the text of a run id no run can have (another tool's
    attribute, a raw OTLP sender's): its page would refuse it."""
    if not run_id:
        return ""
    try:
        return link(f"/ui/runs/{validate_run_id(run_id)}", run_id)
    except QueryError:
        return esc(run_id)


MAX_TAGS_SHOWN = 6


def _tags(tags: Mapping[str, str]) -> str:
    """``key=value`` per tag, each a link to the traces with that tag (when the filter
    fits in a link)."""
    out = []
    for key, value in sorted(tags.items())[:MAX_TAGS_SHOWN]:
        text = f"{key}={value}"
        where = tag_is(key, value)
        if len(where) <= MAX_FILTER:  # a longer one: the link would be refused
            out.append(link(f"/ui/traces?filter={q(where)}", text))
        else:
            out.append(esc(text))
    more = len(tags) - MAX_TAGS_SHOWN
    return ", ".join(out) + (f' <span class="muted">+{more}</span>' if more > 0 else "")


def _form(filter: str, since: str, project: str) -> str:
    return (
        '<form method="get" action="/ui/traces">'
        f'<input type="text" name="filter" value="{esc(filter)}" placeholder="{esc(EXAMPLE)}">'
        f'<input type="text" name="since" value="{esc(since)}" placeholder="since: 1d, 2026-11-01"'
        ' style="flex:0 0 11em">'
        f'<input type="text" name="project" value="{esc(project)}" placeholder="project"'
        ' style="flex:0 0 9em"><button>Search</button></form>'
    )


@router.get("/ui/traces", response_class=HTMLResponse)
@html_errors("Traces")
async def traces_page(
    filter: str = Query("", max_length=MAX_FILTER), since: str = Query("", max_length=100),
    project: str = Query("", max_length=1_000), page_token: str | None = Query(None, max_length=4_096),
    store: ClickHouseStore = Depends(get_store),
) -> HTMLResponse:  # fmt: skip
    form = _form(filter, since, project)
    try:
        found = await run_in_threadpool(lambda: search.search_traces(
            store, filter=filter or None, since=since or None, project=project or None,
            page_token=page_token, max_results=50,
        ))  # fmt: skip
    except (FilterError, QueryError) as exc:
        return page("Traces", form + f'<div class="error">{esc(exc)}</div>', "Traces", 400)
    traces = [Trace.from_dict(t) for t in found["traces"]]
    body = form + await trace_table(store, traces)
    token = found.get("next_page_token")
    if token:
        params = {"filter": filter, "since": since, "project": project, "page_token": token}
        body += f"<p>{link('/ui/traces?' + urllib.parse.urlencode(params), 'next page →')}</p>"
    return page("Traces", body, "Traces")


def _span_line(span: Span, start_ns: int) -> str:
    bits = [f"<b>{esc(span.name)}</b>", f'<span class="muted">{esc(span.span_type)}</span>',
            esc(ms((span.end_time_ns - span.start_time_ns) / 1e6)),
            f'<span class="muted">+{esc(ms((span.start_time_ns - start_ns) / 1e6))}</span>']  # fmt: skip
    if span.model:
        bits.append(esc(span.model))
    if span.input_tokens or span.output_tokens:
        bits.append(f"{span.input_tokens or 0} → {span.output_tokens or 0} tokens")
    if span.cost is not None:
        bits.append(esc(cost(span.cost)))
    if span.status == "ERROR":
        bits.append(f'<span class="err">ERROR {esc(_first_line(span.status_message))}</span>')
    return " · ".join(bits)


MAX_INLINE_ERROR = 200  # characters of an error message on its span's line


def _first_line(message: str | None) -> str:
    """An error message short enough for the span's line (a long one is in full below
    it): a response body or a traceback in a message would bury the tree."""
    text = message or ""
    short = text.split("\n", 1)[0][: MAX_INLINE_ERROR - 1]
    return short if short == text else short + "…"


def _span_details(span: Span) -> str:
    parts = []
    if span.status == "ERROR" and _first_line(span.status_message) != (span.status_message or ""):
        parts.append(
            f"<details><summary>error</summary>{json_block(span.status_message)}</details>"
        )
    for label, value in (("inputs", span.inputs), ("outputs", span.outputs)):
        if value is not None:
            parts.append(f"<details><summary>{label}</summary>{json_block(value)}</details>")
    if span.attributes:
        parts.append(
            f"<details><summary>attributes</summary>{json_block(dict(span.attributes))}</details>"
        )
    if span.events:
        events = [{"name": e.name, "attributes": dict(e.attributes)} for e in span.events]
        parts.append(f"<details><summary>events</summary>{json_block(events)}</details>")
    return "".join(parts)


def span_tree(spans: tuple[Span, ...]) -> str:
    """Nested lists: each span's children inside its own ``<li>``, in start order, every
    span once. Built with a stack, not recursion: a trace may nest deeper than Python's
    recursion limit."""
    if not spans:
        return ""
    ordered = sorted(spans, key=lambda s: (s.start_time_ns, s.span_id))
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for s in ordered:
        parent = s.parent_id if s.parent_id in ids else None  # orphans show at the top
        children.setdefault(parent, []).append(s)
    shown: set[int] = set()  # by identity: ids come from the sender and may repeat

    def tops() -> Iterator[Span]:
        yield from children.get(None, [])
        # Then spans no top leads to: their parents form a cycle (ids are the sender's).
        yield from (s for s in ordered if id(s) not in shown)

    start = ordered[0].start_time_ns
    out = ['<ul class="tree root">']
    stack = [tops()]  # per open <ul>: the spans still to write in it
    while stack:
        span = next(stack[-1], None)
        if span is None:  # this list is done: close it, and the <li> that holds it
            stack.pop()
            out.append("</ul></li>" if stack else "</ul>")
            continue
        if id(span) in shown:  # met again through a cycle of parents
            continue
        shown.add(id(span))
        out.append(f'<li id="span-{esc(span.span_id)}">{_span_line(span, start)}'
                   f"{_span_details(span)}")  # fmt: skip
        if span.span_id in children:
            out.append('<ul class="tree">')
            stack.append(iter(children[span.span_id]))
        else:
            out.append("</li>")
    return "".join(out)


def _kv(pairs: list[tuple[str, str]]) -> str:
    return (
        '<div class="kv">'
        + "".join(f"<span><b>{esc(k)}</b> {v}</span>" for k, v in pairs if v)
        + "</div>"
    )


@router.get("/ui/traces/{trace_id}", response_class=HTMLResponse)
@html_errors("Traces")
async def trace_page(trace_id: str, store: ClickHouseStore = Depends(get_store)) -> HTMLResponse:
    found = await load_trace(store, trace_id)
    trace = Trace.from_dict(found)
    info = trace.info
    body = _kv([
        ("status", f'<span class="{esc(info.status)}">{esc(info.status)}</span>'),
        ("start", esc(when(info.start_time_ms))), ("duration", esc(ms(info.duration_ms))),
        ("cost", esc(cost(info.cost))), ("tokens", f"{info.input_tokens} in / {info.output_tokens} out"),
        ("project", esc(info.project)),
        ("session", _session(info.session_id)),
        ("user", esc(info.user_id or "")),
        ("run", _run(info.run_id)),
        ("trace id", f'<span class="id">{esc(info.trace_id)}</span>'),
    ])  # fmt: skip
    if info.tags:
        body += _kv([(k, esc(v)) for k, v in sorted(info.tags.items())])
    if info.metadata:
        body += f"<details><summary>metadata</summary>{json_block(dict(info.metadata))}</details>"
    body += f"<h2>Spans ({len(trace.data.spans)})</h2>" + span_tree(trace.data.spans)
    if info.assessments:
        rows = [[esc(a.kind), esc(a.name), esc(_value(a.value) if a.error is None else f"error: {a.error.error_message}"),
                 esc(f"{a.source.source_type} {a.source.source_id or ''}"), esc(a.rationale or ""),
                 esc(when(a.create_time_ms))] for a in info.assessments]  # fmt: skip
        body += "<h2>Assessments</h2>" + table(
            ["kind", "name", "value", "source", "rationale", "logged"], rows
        )
    return page(info.name or "(unnamed trace)", body, "Traces")


@router.get("/ui/sessions", response_class=HTMLResponse)
@html_errors("Sessions")
async def sessions_page(
    since: str = Query("", max_length=100), page_token: str | None = Query(None, max_length=4_096),
    store: ClickHouseStore = Depends(get_store),
) -> HTMLResponse:  # fmt: skip
    found = await run_in_threadpool(lambda: search.list_sessions(
        store, since=since or None, page_token=page_token, max_results=50))  # fmt: skip
    sessions = [SessionInfo.from_dict(s) for s in found["sessions"]]
    rows = [[_session(s.session_id), esc(s.user_id or ""),
             str(s.trace_count), esc(when(s.first_time_ms)), esc(ms(s.duration_ms)),
             f"{s.input_tokens} / {s.output_tokens}", esc(cost(s.cost)),
             f'<span class="err">{s.error_count}</span>' if s.error_count else "0"]
            for s in sessions]  # fmt: skip
    headers = ["session", "user", "traces", "first (UTC)", "duration", "tokens in / out", "cost",
               "errors"]  # fmt: skip
    body = table(headers, rows, numeric=(2, 4, 5, 6, 7))
    token = found.get("next_page_token")
    if token:
        params = {"since": since, "page_token": token}
        body += f"<p>{link('/ui/sessions?' + urllib.parse.urlencode(params), 'next page →')}</p>"
    return page("Sessions", body, "Sessions")


# :path because session ids are free text and may hold '/' (the link quotes it as %2F,
# which the server decodes before routing)
@router.get("/ui/sessions/{session_id:path}", response_class=HTMLResponse)
@html_errors("Sessions")
async def session_page(session_id: str, store: ClickHouseStore = Depends(get_store)) -> Response:
    if not session_id:  # /ui/sessions/
        return RedirectResponse("/ui/sessions")
    found = await run_in_threadpool(search.get_session, store, session_id, False)
    if found is None:
        raise NotFound(f"no session with id {session_id}")
    info = SessionInfo.from_dict(found["session"])
    traces = [Trace.from_dict(t) for t in found["traces"]]
    body = _kv([("user", esc(info.user_id or "")), ("traces", str(info.trace_count)),
                ("cost", esc(cost(info.cost))), ("duration", esc(ms(info.duration_ms)))])  # fmt: skip
    if found["truncated"]:
        body += f'<p class="muted">The first {len(traces)} traces are listed.</p>'
    body += await trace_table(store, traces)
    return page(f"Session {session_id}", body, "Sessions")
