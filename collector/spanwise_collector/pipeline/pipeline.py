"""receive → convert/normalise → processors (pricing, …) → group-commit writer → store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..store import ClickHouseStore
from .batch import SpanBatch
from .convert import convert
from .writer import BatchWriter

SPANS_TABLE = "otel_traces"


class BatchProcessor(Protocol):
    """A stage that fills or rewrites columns of a batch in place (e.g. pricing)."""

    def process(self, batch: SpanBatch) -> None: ...


class Pipeline:
    def __init__(
        self,
        store: ClickHouseStore,
        processors: Sequence[BatchProcessor] = (),
        write_timeout: float = 60.0,
    ) -> None:
        self.store = store
        self.processors = list(processors)
        self.write_timeout = write_timeout
        self.writer = BatchWriter(self._insert)

    def _insert(self, batch: SpanBatch) -> None:
        self.store.insert_arrow(SPANS_TABLE, batch.to_arrow())

    def consume(self, request: Any, project: str = "default") -> int:
        """Convert and store one OTLP request; returns the number of spans stored.

        Raises ``InvalidSpans`` for malformed input (nothing stored) and
        ``StoreError`` when the store could not take the batch.
        """
        batch = convert(request, default_project=project)
        for processor in self.processors:
            processor.process(batch)
        self.writer.write(batch, timeout=self.write_timeout)
        return len(batch)

    def close(self) -> None:
        self.writer.close()
