"""Terminal rendering: trace trees and tables with rich, fitted to the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree
from spanwise import Span, Trace, TraceInfo

MAX_DEPTH = 200  # rich renders trees recursively
LABEL_WIDTH = 24  # columns kept for the deepest label drawn (name, type, duration…)
_STATUS_STYLE = {"ERROR": "bold red", "OK": "green", "UNSET": "dim"}


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 10_000 else f"{value / 1000:,.2f} s"


def _cost(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"${value:.6f}" if value < 1 else f"${value:,.4f}"


def _tokens(span: Span) -> str:
    if span.input_tokens is None and span.output_tokens is None:
        return ""
    return f"{span.input_tokens or 0}→{span.output_tokens or 0} tok"


def _span_label(span: Span) -> Text:
    text = Text()
    text.append(span.name, style="bold")
    text.append(f"  {span.span_type}", style="cyan")
    text.append(f"  {_ms(span.duration_ms)}", style="magenta")
    text.append(f"  {span.status}", style=_STATUS_STYLE.get(span.status, ""))
    if span.model:
        text.append(f"  {span.model}", style="yellow")
    tokens = _tokens(span)
    if tokens:
        text.append(f"  {tokens}", style="blue")
    if span.cost is not None:
        text.append(f"  {_cost(span.cost)}", style="green")
    elif span.cost_status and span.cost_status != "ok":
        text.append(f"  cost: {span.cost_status}", style="dim red")
    if span.status == "ERROR" and span.status_message:
        text.append(f"  {span.status_message[:120]}", style="red")
    return text


IO_CHARS = 300  # inputs/outputs shown per span by `traces get --io`


def _io_text(label: str, value: Any, limit: int) -> Text:
    """One line: ``value`` as compact JSON (text as is), cut to ``limit`` characters."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        except (TypeError, ValueError):
            text = repr(value)
    text = " ".join(text.split())
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text):,} characters)"
    line = Text(f"{label} ", style="dim bold")
    line.append(text, style="dim")
    return line


def _span_node(span: Span, io_chars: int, prefix: Text | None = None) -> Any:
    label = _span_label(span) if prefix is None else prefix + _span_label(span)
    if not io_chars:
        return label
    lines = [label]
    for name, value in (("in ", span.inputs), ("out", span.outputs)):
        if value is not None and value != "":
            lines.append(_io_text(name, value, io_chars))
    return Group(*lines)


def max_depth(width: int | None) -> int:
    """Levels a tree can show in ``width`` columns: each level indents 4 more, and rich
    silently drops what no longer fits (a 250-deep chain showed 20 spans at 80 columns)."""
    if width is None:
        return MAX_DEPTH
    return max(4, min(MAX_DEPTH, (width - LABEL_WIDTH) // 4))


def trace_tree(trace: Trace, io_chars: int = 0, width: int | None = None) -> Tree:
    """The span tree; ``io_chars`` > 0 adds each span's inputs and outputs, cut to that.
    With ``width`` (the terminal's), levels that would not fit are left out, and counted."""
    limit = max_depth(width)
    info = trace.info
    head = Text()
    head.append(f"trace {info.trace_id}", style="bold")
    head.append(f"  {info.name}  {_ms(info.duration_ms)}  ")
    head.append(info.status, style=_STATUS_STYLE.get(info.status, ""))
    if info.input_tokens or info.output_tokens:
        head.append(f"  {info.input_tokens}→{info.output_tokens} tok", style="blue")
    if info.cost is not None:
        head.append(f"  {_cost(info.cost)}", style="green")
    about = [f"{label} {value}" for label, value in (("session", info.session_id),
                                                     ("user", info.user_id)) if value]  # fmt: skip
    if info.tags:
        about.append("tags " + ", ".join(f"{k}={v}" for k, v in sorted(info.tags.items())))
    if about:
        head.append("\n" + " · ".join(about), style="dim")
    tree = Tree(head)
    spans = trace.data.spans
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for span in spans:
        parent = (
            span.parent_id if span.parent_id in ids and span.parent_id != span.span_id else None
        )
        children.setdefault(parent, []).append(span)
    # Iterative (a 10k-deep parent chain must not hit the recursion limit); each span
    # is visited once, so parent cycles terminate.
    reached: set[str] = set()
    hidden: dict[int, tuple[Tree, int]] = {}  # the last node drawn → spans left out under it
    stack: list[tuple[Tree, str | None, int]] = [(tree, None, 0)]
    while stack:
        node, parent, depth = stack.pop()
        branches = []
        for span in sorted(children.get(parent, []), key=lambda s: s.start_time_ns):
            if span.span_id in reached:
                continue
            reached.add(span.span_id)
            if depth >= limit:
                branches.append((node, span.span_id, depth + 1))  # walk on, draw nothing
                hidden[id(node)] = (node, hidden.get(id(node), (node, 0))[1] + 1)
                continue
            # A parent not stored here: another service's span (or one still to arrive).
            away = span.parent_id and span.parent_id not in ids and span.parent_id != span.span_id
            prefix = (
                Text(f"(parent {span.parent_id[:8]}… not here) ", style="dim") if away else None
            )
            branches.append((node.add(_span_node(span, io_chars, prefix)), span.span_id, depth + 1))
        stack.extend(reversed(branches))
    for node, count in hidden.values():
        node.add(Text(f"… {count:,} deeper span(s) not shown (depth > {limit}; "
                      "--json has them)", style="dim"))  # fmt: skip
    # Spans whose parents form a cycle are reachable from no root: show them at the top.
    for span in spans:
        if span.span_id not in reached:
            tree.add(_span_node(span, io_chars, Text("(parent cycle) ", style="dim red")))
    return tree


# Hidden first when a table does not fit the terminal (see ``fit``).
TRACE_DROP_FIRST = ("tokens", "start", "spans")
COST_DROP_FIRST = ("reasoning", "cached", "input tok", "output tok")


def traces_table(infos: Iterable[TraceInfo]) -> Table:
    table = Table(show_lines=False, header_style="bold")
    for column in ("trace id", "name", "start", "duration", "status", "spans", "tokens", "cost"):
        table.add_column(column, no_wrap=column in ("trace id", "start"))
    import datetime as dt

    for info in infos:
        start = dt.datetime.fromtimestamp(info.start_time_ms / 1000, tz=dt.timezone.utc)
        table.add_row(
            info.trace_id,
            info.name,
            start.strftime("%Y-%m-%d %H:%M:%S"),
            _ms(info.duration_ms),
            Text(info.status, style=_STATUS_STYLE.get(info.status, "")),
            str(info.span_count),
            f"{info.input_tokens}→{info.output_tokens}"
            if info.input_tokens or info.output_tokens
            else "",
            _cost(info.cost),
        )
    return table


def console(stderr: bool = False) -> Console:
    # markup off: names, tags and values are the user's data, and rich would read
    # "[/x]" in them as a tag (and fail) or "[red]" as a style (and drop it); our own
    # styling goes through Text and style= instead.
    return Console(stderr=stderr, markup=False)


def more(token: str | None) -> None:
    """The next page's token, whole on one line (the terminal wraps it, so it copies)."""
    if token:
        console().print(f"more: --page-token {token}", style="dim", soft_wrap=True)


def costs_table(summary: object) -> Table:
    """A `CostSummary` as a table: one row per group, most expensive first, then the total."""
    from spanwise import CostSummary

    assert isinstance(summary, CostSummary)
    caption = f"{summary.since[:19]} → {summary.until[:19]} UTC; a call recorded twice counts once"
    table = Table(title="LLM costs", caption=caption, header_style="bold", show_footer=True)
    total = summary.total
    for n, key in enumerate(summary.group_by):
        table.add_column(key, footer="total" if n == 0 else "")
    numbers = [
        ("cost", _row_cost),
        ("calls", lambda r: f"{r.calls:,}"),
        ("input tok", lambda r: f"{r.input_tokens:,}"),
        ("cached", lambda r: f"{r.cached_tokens:,}"),
        ("output tok", lambda r: f"{r.output_tokens:,}"),
        ("reasoning", lambda r: f"{r.reasoning_tokens:,}"),
        ("unpriced", lambda r: f"{r.unpriced_calls:,}" if r.unpriced_calls else ""),
    ]
    for title, fmt in numbers:
        table.add_column(title, justify="right", footer=fmt(total))
    for row in summary.rows:
        keys = [row.key.get(k) or "-" for k in summary.group_by]
        table.add_row(*keys, *(fmt(row) for _, fmt in numbers))
    if total.unpriced_calls:
        table.caption += (f"\n{total.unpriced_calls:,} call(s) without a price are not in the costs"
                          " (≥: at least; `spanwise pricing unknown` names their models)")  # fmt: skip
    return table


def _row_cost(row: Any) -> str:
    """A cost that leaves out calls without a price is a lower bound, and says so: an
    unknown model's calls are "unknown", not "$0.000000"."""
    if row.unpriced_calls and row.unpriced_calls >= row.calls:
        return "unknown"
    text = _cost(row.cost) or "$0"
    return f"≥ {text}" if row.unpriced_calls else text


def assessments_table(items: Iterable[Any], title: str | None = None) -> Table:
    """Feedback and expectations: name, value, who, why."""
    import datetime as dt

    items = list(items)
    spans = any(a.span_id for a in items)  # the column only when some assessment has one
    table = Table(title=title, header_style="bold")
    for column in ("name", "kind", "value", "source", "rationale", "span", "created", "id"):
        if column != "span" or spans:
            table.add_column(column, no_wrap=column in ("id", "span", "created"))
    for a in items:
        if a.error is not None and a.value is None:
            value = Text(f"error: {a.error.error_message or a.error.error_code}", style="red")
        else:
            text = a.value if isinstance(a.value, str) else json.dumps(a.value, ensure_ascii=False)
            value = Text(text[:200], style="bold")
        source = a.source.source_type + (f" {a.source.source_id}" if a.source.source_id else "")
        created = dt.datetime.fromtimestamp(a.create_time_ms / 1000, dt.timezone.utc)
        cells = [a.name, a.kind, value, source, (a.rationale or "")[:200]]
        cells += [a.span_id or ""] if spans else []
        table.add_row(*cells, created.strftime("%Y-%m-%d %H:%M:%S"), a.assessment_id)
    return table


def rows_table(rows: Iterable[dict], columns: list[str], title: str | None = None) -> Table:
    """A plain table of JSON rows: money as $, milliseconds rounded, rates as percent."""
    table = Table(title=title, header_style="bold")
    for column in columns:
        table.add_column(column, no_wrap=column.endswith("_id"))
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if value is None:
                cells.append("")
            elif column == "cost":
                cells.append(_cost(Decimal(str(value))))
            elif column.endswith("_ms") and isinstance(value, float):
                cells.append(_ms(value))
            elif column == "error_rate":
                cells.append(f"{value:.1%}")
            else:
                cells.append(str(value))
        table.add_row(*cells)
    return table


def fit(table: Table, out: Console, drop_first: Sequence[str] = ()) -> Table:
    """``table`` without its least important columns when it would not fit ``out``.

    rich squeezes an over-wide table by cutting every cell to "…" (an 80-column terminal
    showed trace ids and little else). Columns go instead, those named in
    ``drop_first`` first, then from the right; the first column stays. Free-text
    columns (they wrap) count at a modest width; the caption names what was hidden."""
    columns = list(table.columns)
    needed = {id(c): _needed_width(c, out) for c in columns}
    # by identity: rich's Column is a dataclass, and two may compare equal
    named = [id(c) for name in drop_first for c in columns[1:] if c.header == name]
    order = named + [id(c) for c in reversed(columns[1:]) if id(c) not in named]
    hidden: list[str] = []
    while sum(needed[id(c)] for c in columns) + 1 > out.width and order:
        gone = order.pop(0)
        hidden += [str(c.header) for c in columns if id(c) == gone]
        columns = [c for c in columns if id(c) != gone]
    for column in columns:  # a word longer than its wrapping column folds, not "…"
        if not column.no_wrap:
            column.overflow = "fold"
    if hidden:
        table.columns[:] = columns
        note = f"not shown for lack of width: {', '.join(hidden)} (--json has everything)"
        table.caption = f"{table.caption}\n{note}" if table.caption else note
    return table


def _needed_width(column: Any, out: Console) -> int:
    header = out.measure(Text(str(column.header))).maximum
    widest = max((out.measure(cell).maximum for cell in column.cells), default=0)
    if column.footer:
        widest = max(widest, out.measure(Text(str(column.footer))).maximum)
    if not column.no_wrap:  # text that wraps onto more lines: a modest width will do
        widest = min(widest, max(header, 16))
    return max(header, widest) + 3  # padding and the border


def print_table(table: Table, drop_first: Sequence[str] = (), empty: str | None = None) -> None:
    """``empty``: what to say instead of a table with headers and no rows."""
    out = console()
    if empty and not table.row_count:
        out.print(empty, style="dim")
        return
    out.print(fit(table, out, drop_first))
