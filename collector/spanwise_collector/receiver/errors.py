"""Classify ingest failures as the OTel Collector does: permanent or retryable."""

from __future__ import annotations

from dataclasses import dataclass

from ..pipeline.admission import Overloaded
from ..pipeline.convert import InvalidSpans
from ..pipeline.spool import SpoolFull
from ..pipeline.writer import WriterClosed
from ..store import StoreError


@dataclass(frozen=True)
class Outcome:
    retryable: bool
    message: str
    http_status: int
    grpc_code: str  # a grpc.StatusCode name


def classify(exc: BaseException) -> Outcome:
    if isinstance(exc, InvalidSpans):
        return Outcome(False, f"malformed spans: {exc}", 400, "INVALID_ARGUMENT")
    if isinstance(exc, (Overloaded, SpoolFull)):
        # Retryable with a pause: OTLP clients honour RetryInfo / Retry-After.
        return Outcome(True, str(exc), 429, "RESOURCE_EXHAUSTED")
    if isinstance(exc, WriterClosed):
        return Outcome(True, str(exc), 503, "UNAVAILABLE")
    if isinstance(exc, StoreError):
        if exc.retryable:
            return Outcome(True, f"store unavailable, retry later: {exc}", 503, "UNAVAILABLE")
        return Outcome(False, f"store error: {exc}", 500, "INTERNAL")
    if isinstance(exc, TimeoutError):
        return Outcome(
            True, "the store did not confirm the write in time; retry", 503, "UNAVAILABLE"
        )
    return Outcome(True, f"internal error: {type(exc).__name__}: {exc}", 503, "UNAVAILABLE")
