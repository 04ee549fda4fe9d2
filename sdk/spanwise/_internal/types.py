"""Result shapes returned by ``spanwise.Client``: frozen dataclasses, MLflow's names.

They are built from the collector's JSON (snake_case, Decimals as strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .assessments import Assessment


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True)
class SpanEvent:
    name: str
    # Left out (MLflow's SpanEvent("retrieved", attributes={...})): the time it is added.
    timestamp_ns: int = 0
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    span_id: str
    parent_id: str | None
    name: str
    span_type: str
    status: str
    status_message: str
    start_time_ns: int
    end_time_ns: int
    inputs: Any
    outputs: Any
    attributes: Mapping[str, Any]
    events: tuple[SpanEvent, ...]
    trace_id: str = ""
    service_name: str = ""
    model: str | None = None
    provider: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost: Decimal | None = None
    cost_status: str | None = None
    cost_breakdown: Mapping[str, Decimal] = field(default_factory=dict)
    pricing_version: str | None = None

    @property
    def duration_ms(self) -> float:
        return (self.end_time_ns - self.start_time_ns) / 1e6

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Span:
        return cls(
            span_id=d["span_id"],
            parent_id=d.get("parent_id") or None,
            name=d["name"],
            span_type=d.get("span_type") or "UNKNOWN",
            status=d.get("status") or "UNSET",
            status_message=d.get("status_message") or "",
            start_time_ns=int(d["start_time_ns"]),
            end_time_ns=int(d["end_time_ns"]),
            inputs=d.get("inputs"),
            outputs=d.get("outputs"),
            attributes=d.get("attributes") or {},
            events=tuple(
                SpanEvent(e["name"], int(e["timestamp_ns"]), e.get("attributes") or {})
                for e in d.get("events") or ()
            ),
            trace_id=d.get("trace_id", ""),
            service_name=d.get("service_name", ""),
            model=d.get("model") or None,
            provider=d.get("provider") or None,
            input_tokens=_int(d.get("input_tokens")),
            output_tokens=_int(d.get("output_tokens")),
            cached_tokens=_int(d.get("cached_tokens")),
            reasoning_tokens=_int(d.get("reasoning_tokens")),
            cost=_decimal(d.get("cost")),
            cost_status=d.get("cost_status") or None,
            cost_breakdown={k: Decimal(str(v)) for k, v in (d.get("cost_breakdown") or {}).items()},
            pricing_version=d.get("pricing_version") or None,
        )


@dataclass(frozen=True)
class TraceInfo:
    trace_id: str
    name: str
    status: str
    start_time_ms: int
    duration_ms: float
    project: str = "default"
    span_count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal | None = None
    session_id: str | None = None
    user_id: str | None = None
    run_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    # Filled by get_trace and by searches with include_spans=True (filter: feedback.<name>).
    assessments: tuple[Assessment, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TraceInfo:
        return cls(
            trace_id=d["trace_id"],
            name=d.get("name") or "",
            status=d.get("status") or "OK",
            start_time_ms=int(d.get("start_time_ms") or 0),
            duration_ms=float(d.get("duration_ms") or 0.0),
            project=d.get("project") or "default",
            span_count=int(d.get("span_count") or 0),
            input_tokens=int(d.get("input_tokens") or 0),
            output_tokens=int(d.get("output_tokens") or 0),
            cost=_decimal(d.get("cost")),
            session_id=d.get("session_id") or None,
            user_id=d.get("user_id") or None,
            run_id=d.get("run_id") or None,
            tags=d.get("tags") or {},
            metadata=d.get("metadata") or {},
            assessments=tuple(Assessment.from_dict(a) for a in d.get("assessments") or ()),
        )


@dataclass(frozen=True)
class TraceData:
    spans: tuple[Span, ...]

    @property
    def root(self) -> Span | None:
        ids = {s.span_id for s in self.spans}
        for span in self.spans:
            if span.parent_id is None or span.parent_id not in ids:
                return span
        return None

    def children(self, span_id: str) -> list[Span]:
        return [s for s in self.spans if s.parent_id == span_id]


@dataclass(frozen=True)
class Trace:
    info: TraceInfo
    data: TraceData

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Trace:
        return cls(
            info=TraceInfo.from_dict(d["info"]),
            data=TraceData(spans=tuple(Span.from_dict(s) for s in d.get("spans") or ())),
        )


class PagedList(list):  # type: ignore[type-arg]
    """A page of results; ``token`` fetches the next page (``None`` on the last)."""

    def __init__(self, items: list[Any], token: str | None) -> None:
        super().__init__(items)
        self.token = token


@dataclass(frozen=True)
class SessionInfo:
    """Totals of one session (conversation): its traces, tokens, cost, errors."""

    session_id: str
    trace_count: int
    first_time_ms: int
    last_time_ms: int
    duration_ms: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal | None = None
    error_count: int = 0
    user_id: str | None = None
    project: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SessionInfo:
        return cls(
            session_id=d["session_id"],
            trace_count=int(d.get("trace_count") or 0),
            first_time_ms=int(d.get("first_time_ms") or 0),
            last_time_ms=int(d.get("last_time_ms") or 0),
            duration_ms=float(d.get("duration_ms") or 0.0),
            input_tokens=int(d.get("input_tokens") or 0),
            output_tokens=int(d.get("output_tokens") or 0),
            cost=_decimal(d.get("cost")),
            error_count=int(d.get("error_count") or 0),
            user_id=d.get("user_id") or None,
            project=d.get("project") or None,
        )


@dataclass(frozen=True)
class Session:
    """A session's totals and its traces, oldest first."""

    info: SessionInfo
    traces: tuple[Trace, ...]
    truncated: bool = False


@dataclass(frozen=True)
class AnalyticsRow:
    """One group: ``key`` maps each group_by key to its value; metrics not asked are None."""

    key: Mapping[str, str]
    count: int | None = None
    cost: Decimal | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    error_count: int | None = None
    error_rate: float | None = None
    # feedback name -> mean of its numeric/true-false values (metrics "feedback_avg:<name>")
    feedback_avg: Mapping[str, float | None] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AnalyticsRow:
        return cls(
            key=dict(d.get("key") or {}),
            count=_int(d.get("count")),
            cost=_decimal(d.get("cost")),
            input_tokens=_int(d.get("input_tokens")),
            output_tokens=_int(d.get("output_tokens")),
            p50_ms=d.get("p50_ms"),
            p90_ms=d.get("p90_ms"),
            p99_ms=d.get("p99_ms"),
            error_count=_int(d.get("error_count")),
            error_rate=d.get("error_rate"),
            feedback_avg={
                k[len(_FEEDBACK_AVG) :]: v for k, v in d.items() if k.startswith(_FEEDBACK_AVG)
            },
        )


_FEEDBACK_AVG = "feedback_avg:"


@dataclass(frozen=True)
class AnalyticsResult:
    """Rows of ``Client.analytics`` in group-key order, within [``since``, ``until``)."""

    level: str
    group_by: tuple[str, ...]
    metrics: tuple[str, ...]
    since: str
    until: str
    rows: tuple[AnalyticsRow, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AnalyticsResult:
        return cls(
            level=d["level"],
            group_by=tuple(d.get("group_by") or ()),
            metrics=tuple(d.get("metrics") or ()),
            since=d.get("since") or "",
            until=d.get("until") or "",
            rows=tuple(AnalyticsRow.from_dict(r) for r in d.get("rows") or ()),
        )

    def to_pandas(self) -> Any:
        """A DataFrame with one column per group key and per metric (pandas imported here)."""
        import pandas as pd

        records = []
        for row in self.rows:
            record: dict[str, Any] = dict(row.key)
            record.update({m: getattr(row, m) for m in self.metrics})
            records.append(record)
        return pd.DataFrame.from_records(records, columns=[*self.group_by, *self.metrics])
