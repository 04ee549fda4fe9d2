"""Online evaluation: score the traces an app keeps making (Langfuse's evaluators on new
traces, MLflow's scheduled scorers). One pass of ``score_traces`` finds ended traces that
match a filter and that this monitor has not scored, runs the scorers on them, logs the
feedback, then tags each trace ``spanwise.scored.<name>`` so no later pass (in this
process or another) scores it again. ``spanwise monitor`` runs passes on a timer.

Sampling is by trace id (ids are random): ``sample_rate=0.1`` scores the traces whose id
falls in the first tenth of the id space, decided by the collector's search, so every
pass and every monitor process picks the same traces and never lists the others.
Delivery is at least once: a pass that stops between logging feedback and tagging leaves
those traces to be scored again by the next pass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidParameterError
from .evaluate import check_scorers, each, score_row
from .result import EvaluationRow
from .traces import complete_root, trace_row

if TYPE_CHECKING:
    from ..client import Client
    from ..types import Trace

__all__ = ["MARKER_PREFIX", "ScoringPass", "score_traces"]

MARKER_PREFIX = "spanwise.scored."
_MAX_MARKER = 250  # the collector's limit on a tag key
_PAGE = 100
#: Tag values: what the pass did with the trace.
SCORED, SCORER_ERROR, APP_ERROR = "scored", "scorer_error", "app_error"


@dataclass(frozen=True)
class ScoringPass:
    """What one pass did: the traces it scored (rows, oldest first), the ids of matching
    traces it left for a later pass because they had not ended (or settled) yet, and the
    tag key that marks a trace as done."""

    rows: tuple[EvaluationRow, ...]
    waiting: tuple[str, ...]
    marker: str

    @property
    def scorer_errors(self) -> int:
        return sum(1 for r in self.rows if r.score_errors)

    @property
    def app_errors(self) -> int:
        return sum(1 for r in self.rows if r.error is not None)


def score_traces(
    scorers: Any,
    filter_string: str | None = None,
    *,
    name: str | None = None,
    project: str | None = None,
    since: Any = "1h",
    sample_rate: float = 1.0,
    max_traces: int = 100,
    settle_seconds: float = 10.0,
    max_workers: int = 1,
    client: Client | None = None,
) -> ScoringPass:
    """Score up to ``max_traces`` ended traces that match ``filter_string`` (the trace
    search language), started after ``since``, and were not scored by the monitor
    ``name`` (default: the scorers' names joined by ``+``) — oldest first.

    Scorers are those of ``evaluate`` (asking for ``inputs``, ``outputs``,
    ``expectations``, ``trace``): inputs and outputs are the root span's. A trace counts
    as ended once its root span is stored and ``settle_seconds`` have passed since it
    ended (time for spans of other services to arrive). Feedback is logged with source
    CODE (LLM_JUDGE for judges) and the scorer's name, then the trace is tagged ``spanwise.scored.<name>`` =
    ``scored`` / ``scorer_error`` (a scorer raised: an error feedback says why) /
    ``app_error`` (the trace ended in an error: nothing to judge). Bad arguments raise
    ``InvalidParameterError`` before anything is read."""
    checked = check_scorers(scorers)
    if not checked:
        raise InvalidParameterError("give at least one scorer")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise InvalidParameterError("name must be non-empty text")
    marker = MARKER_PREFIX + (name if name is not None else "+".join(s.name for s in checked))
    if len(marker) > _MAX_MARKER:
        raise InvalidParameterError(
            f"the monitor's name is too long for a tag key (at most "
            f"{_MAX_MARKER - len(MARKER_PREFIX)} characters): give a shorter name"
        )
    if "`" in marker or "\\" in marker:
        raise InvalidParameterError("the monitor's name cannot contain ` or \\")
    if (
        isinstance(sample_rate, bool)
        or not isinstance(sample_rate, (int, float))
        or not (0 < sample_rate <= 1)
    ):
        raise InvalidParameterError("sample_rate must be a number above 0 and at most 1")
    for arg, value in (("max_traces", max_traces), ("max_workers", max_workers)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidParameterError(f"{arg} must be a whole number of at least 1")
    if client is None:
        from ..client import Client

        client = Client()
    where = pass_filter(filter_string, marker, sample_rate)
    ended, waiting = _ended_traces(client, where, project, since, max_traces, settle_seconds)
    scored = each(ended, lambda t: score_row(trace_row(t), checked, trace=t), max_workers)
    logs = [log for _, row_logs in scored for log in row_logs]
    if logs:
        client.log_assessments(logs)
    for row, _ in scored:  # after the feedback: a trace marked done has its feedback
        client.set_trace_tags(row.trace_id, {marker: _outcome(row)})
    return ScoringPass(tuple(row for row, _ in scored), tuple(waiting), marker)


def pass_filter(filter_string: str | None, marker: str, sample_rate: float) -> str:
    """The user's filter, the sample (a range of trace ids) and "not scored yet"."""
    parts = [f"({filter_string})"] if filter_string and filter_string.strip() else []
    if sample_rate < 1:
        parts.append(f"trace.id < '{id_bound(sample_rate)}'")
    parts.append(f"tags.`{marker}` IS NULL")
    return " AND ".join(parts)


def id_bound(sample_rate: float) -> str:
    """The hex trace-id prefix below which a fraction ``sample_rate`` of random ids fall
    (8 hex digits: steps of 2**-32)."""
    return format(min(16**8 - 1, max(1, round(sample_rate * 16**8))), "08x")


def _ended_traces(
    client: Client, where: str, project: str | None, since: Any, limit: int, settle: float,
) -> tuple[list[Trace], list[str]]:  # fmt: skip
    ended: list[Trace] = []
    waiting: list[str] = []
    settled_before_ns = time.time_ns() - int(settle * 1e9)
    token = None
    while len(ended) < limit:
        page = client.search_traces(
            where, order_by="trace.timestamp ASC", max_results=_PAGE, page_token=token,
            project=project, since=since, include_spans=True,
        )  # fmt: skip
        for trace in page:
            root = complete_root(trace)
            if root is None or root.end_time_ns > settled_before_ns:
                waiting.append(trace.info.trace_id)
            elif len(ended) < limit:
                ended.append(trace)
        token = page.token
        if token is None:
            break
    return ended, waiting


def _outcome(row: EvaluationRow) -> str:
    if row.error is not None:
        return APP_ERROR
    return SCORER_ERROR if row.score_errors else SCORED


def describe(result: ScoringPass) -> dict[str, Any]:
    """The pass as JSON-ready data (the CLI's ``--json``)."""
    return {
        "marker": result.marker,
        "scored": len(result.rows),
        "scorer_errors": result.scorer_errors,
        "app_errors": result.app_errors,
        "waiting": list(result.waiting),
        "traces": [
            {"trace_id": r.trace_id, "scores": dict(r.scores),
             "score_errors": dict(r.score_errors), "error": r.error}
            for r in result.rows
        ],
    }  # fmt: skip
