"""Assessments of traces, MLflow-style: feedback (was the answer helpful? a judge's
score) and expectations (the ground truth), logged after the fact by a person, an LLM
judge or code. The ``Assessment`` shape and ``spanwise.Client``'s methods for them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

__all__ = ["Assessment", "AssessmentError", "AssessmentSource", "AssessmentsClientMixin"]

SOURCE_TYPES = ("HUMAN", "LLM_JUDGE", "CODE")
_BATCH = 1_000  # assessments per request: the collector's limit


@dataclass(frozen=True)
class AssessmentSource:
    """Who assessed: ``source_type`` HUMAN, LLM_JUDGE or CODE, and an id (a user, a
    judge model, a script)."""

    source_type: str = "CODE"
    source_id: str | None = None

    def __post_init__(self) -> None:
        kind = str(self.source_type).upper()
        if kind not in SOURCE_TYPES:
            raise ValueError(f"source_type must be one of {', '.join(SOURCE_TYPES)}")
        object.__setattr__(self, "source_type", kind)


@dataclass(frozen=True)
class AssessmentError:
    """Why a feedback has no value (e.g. the judge's call failed)."""

    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class Assessment:
    assessment_id: str
    trace_id: str
    name: str
    kind: str  # "feedback" or "expectation"
    value: Any
    source: AssessmentSource
    span_id: str | None = None
    rationale: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    error: AssessmentError | None = None
    create_time_ms: int = 0
    last_update_time_ms: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Assessment:
        source = d.get("source") or {}
        error = d.get("error")
        return cls(
            assessment_id=d["assessment_id"],
            trace_id=d["trace_id"],
            name=d["name"],
            kind=d.get("kind") or "feedback",
            value=d.get("value"),
            source=AssessmentSource(source.get("source_type") or "CODE", source.get("source_id")),
            span_id=d.get("span_id") or None,
            rationale=d.get("rationale") or None,
            metadata=d.get("metadata") or {},
            error=AssessmentError(error.get("error_code"), error.get("error_message"))
            if error
            else None,
            create_time_ms=int(d.get("create_time_ms") or 0),
            last_update_time_ms=int(d.get("last_update_time_ms") or 0),
        )


def _source(source: AssessmentSource | str | None) -> dict[str, Any] | None:
    if source is None:
        return None
    if isinstance(source, str):
        source = AssessmentSource(source)
    return {"source_type": source.source_type, "source_id": source.source_id}


def _error(error: AssessmentError | BaseException | str | None) -> dict[str, Any] | None:
    if error is None:
        return None
    if isinstance(error, AssessmentError):
        return {"error_code": error.error_code, "error_message": error.error_message}
    if isinstance(error, BaseException):
        return {"error_code": type(error).__name__, "error_message": str(error)}
    return {"error_code": None, "error_message": str(error)}


def _path(trace_id: str, assessment_id: str | None = None) -> str:
    import urllib.parse  # lazily, like Client: it is slow to import

    path = f"/api/v1/traces/{urllib.parse.quote(trace_id, safe='')}/assessments"
    if assessment_id is not None:
        path += "/" + urllib.parse.quote(assessment_id, safe="")
    return path


class AssessmentsClientMixin:
    if TYPE_CHECKING:  # provided by Client, which mixes this class in

        def _request(self, method: str, path: str, params: dict[str, Any] | None = None,
                     body: Any = None) -> Any: ...  # fmt: skip

    def _log(self, trace_id: str, body: dict[str, Any]) -> Assessment:
        from .client import SpanwiseAPIError

        body = {k: v for k, v in body.items() if v is not None}
        try:
            return Assessment.from_dict(self._request("POST", _path(trace_id), body=body))
        except SpanwiseAPIError as err:
            if err.status != 404:
                raise
        # The trace may still sit in this process's export queue: send it, then retry.
        from . import provider

        provider.flush(5.0)
        return Assessment.from_dict(self._request("POST", _path(trace_id), body=body))

    def log_feedback(
        self,
        trace_id: str,
        name: str = "feedback",
        value: Any = None,
        source: AssessmentSource | str | None = None,
        rationale: str | None = None,
        metadata: Mapping[str, str] | None = None,
        span_id: str | None = None,
        error: AssessmentError | BaseException | str | None = None,
    ) -> Assessment:
        """Record feedback about a trace (or one of its spans): a boolean, number, text
        or JSON ``value`` from a person, a judge or code, with an optional rationale.
        A judge that failed logs ``error`` instead of a value."""
        return self._log(trace_id, {
            "kind": "feedback", "name": name, "value": value, "source": _source(source),
            "rationale": rationale, "metadata": dict(metadata) if metadata else None,
            "span_id": span_id, "error": _error(error),
        })  # fmt: skip

    def log_expectation(
        self,
        trace_id: str,
        name: str,
        value: Any,
        source: AssessmentSource | str | None = None,
        metadata: Mapping[str, str] | None = None,
        span_id: str | None = None,
    ) -> Assessment:
        """Record what the trace should have produced (ground truth) under ``name``."""
        return self._log(trace_id, {
            "kind": "expectation", "name": name, "value": value, "source": _source(source),
            "metadata": dict(metadata) if metadata else None, "span_id": span_id,
        })  # fmt: skip

    def log_assessments(self, assessments: Sequence[Mapping[str, Any]]) -> list[Assessment]:
        """Many assessments of any traces, 1,000 per request (each request all or nothing):
        dicts with ``trace_id``, ``kind`` ("feedback"/"expectation"), ``name``, ``value``
        and optionally ``source`` ({"source_type", "source_id"}), ``rationale``,
        ``metadata``, ``span_id``, ``error`` ({"error_code", "error_message"})."""
        from .client import SpanwiseAPIError

        out: list[Assessment] = []
        items = [{k: v for k, v in a.items() if v is not None} for a in assessments]
        for start in range(0, len(items), _BATCH):
            body = {"assessments": items[start : start + _BATCH]}
            try:
                answer = self._request("POST", "/api/v1/assessments", body=body)
            except SpanwiseAPIError as err:
                if err.status != 404:
                    raise
                from . import provider

                provider.flush(5.0)  # a trace may still sit in the export queue
                answer = self._request("POST", "/api/v1/assessments", body=body)
            out.extend(Assessment.from_dict(a) for a in answer["assessments"])
        return out

    def get_assessments(self, trace_id: str) -> list[Assessment]:
        """The trace's feedback and expectations, oldest first."""
        payload = self._request("GET", _path(trace_id))
        return [Assessment.from_dict(a) for a in payload["assessments"]]

    def update_assessment(
        self,
        trace_id: str,
        assessment_id: str,
        value: Any = None,
        rationale: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Assessment:
        """Change an assessment's value, rationale or metadata (merged into the old)."""
        body = {"value": value, "rationale": rationale,
                "metadata": dict(metadata) if metadata is not None else None}  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
        return Assessment.from_dict(
            self._request("PATCH", _path(trace_id, assessment_id), body=body)
        )

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        self._request("DELETE", _path(trace_id, assessment_id))


def log_feedback(
    trace_id: str,
    name: str = "feedback",
    value: Any = None,
    source: AssessmentSource | str | None = None,
    rationale: str | None = None,
    metadata: Mapping[str, str] | None = None,
    span_id: str | None = None,
    error: AssessmentError | BaseException | str | None = None,
) -> Assessment:
    """``spanwise.Client().log_feedback(...)`` against the configured collector."""
    from .client import Client

    return Client().log_feedback(trace_id, name, value, source, rationale, metadata, span_id,
                                 error)  # fmt: skip


def log_expectation(
    trace_id: str,
    name: str,
    value: Any,
    source: AssessmentSource | str | None = None,
    metadata: Mapping[str, str] | None = None,
    span_id: str | None = None,
) -> Assessment:
    """``spanwise.Client().log_expectation(...)`` against the configured collector."""
    from .client import Client

    return Client().log_expectation(trace_id, name, value, source, metadata, span_id)
