"""receive → convert/normalise → processors (pricing, …) → group-commit writer → store.

Guarantees (docs/reliability.md): a request is acknowledged only once its spans
are in the store or fsynced to the spool; spans are stored once however often
they are delivered; request bytes in flight are bounded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..store import ClickHouseStore, StoreError
from ..store.ddl import TEXT_INDEXES
from .admission import InflightLimiter
from .batch import SpanBatch
from .convert import convert
from .dedup import SPANS_TABLE, drop_duplicates
from .spool import Spool
from .stored_traces import StoredTraces
from .writer import BatchWriter

logger = logging.getLogger("spanwise.collector")

DEFAULT_MAX_INFLIGHT_BYTES = 256 * 1024 * 1024
DEFAULT_SPOOL_MAX_BYTES = 1024 * 1024 * 1024
# Insert settings: hostile timestamps may span many days (partitions) in one batch.
# optimize_on_insert = 0: the ReplacingMergeTree would otherwise collapse rows of equal
# (TraceId, SpanId) inside each insert block, copying every column row by row — work with
# nothing to do, since `drop_duplicates` already left one row per span (and the views'
# targets get rows grouped by their keys). 5 of the ~23 µs/span the engine's insert cost
# (tests/bench/insert_parts.py, docs/ingest-performance.md). Merges still replace.
INSERT_SETTINGS: dict[str, Any] = {
    "throw_on_max_partitions_per_insert_block": 0,
    "optimize_on_insert": 0,
}
# Building the text indexes over prompts at insert cost 2-3x the insert itself (3-grams,
# then word tokens; docs/ingest-performance.md): inserts skip them and merges build them.
# Search stays exact — a part without the index is scanned instead of skipped — and fresh
# parts merge soon.
DEFER_INDEXES_SETTING = "exclude_materialize_skip_indexes_on_insert"


def insert_settings(store: ClickHouseStore) -> dict[str, Any]:
    """INSERT_SETTINGS, plus deferred text indexes where the server knows the setting."""
    settings = dict(INSERT_SETTINGS)
    if TEXT_INDEXES and store.has_setting(DEFER_INDEXES_SETTING):
        settings[DEFER_INDEXES_SETTING] = ", ".join(TEXT_INDEXES)
    return settings


class BatchProcessor(Protocol):
    """A stage that fills or rewrites columns of a batch in place (e.g. pricing)."""

    def process(self, batch: SpanBatch) -> None: ...


def default_spool_dir(store: ClickHouseStore) -> Path:
    loc = store.location
    if loc.kind == "chdb":
        return Path(loc.path) / "spanwise-spool"
    return Path("spanwise-spool").resolve() / f"{loc.host}_{loc.port}_{loc.database}"


class Pipeline:
    def __init__(
        self,
        store: ClickHouseStore,
        processors: Sequence[BatchProcessor] = (),
        write_timeout: float = 60.0,
        spool_dir: str | Path | None = None,
        spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES,
        max_inflight_bytes: int = DEFAULT_MAX_INFLIGHT_BYTES,
        retry_interval: float = 1.0,
        linger: float = 0.2,
        stored_traces: StoredTraces | None = None,
    ) -> None:
        self.store = store
        # Told about every table before it is inserted (spool replays too).
        self.stored_traces = stored_traces
        self.processors = list(processors)
        self.write_timeout = write_timeout
        self.limiter = InflightLimiter(max_inflight_bytes)
        self.spool = Spool(spool_dir or default_spool_dir(store), spool_max_bytes)
        self.retry_interval = retry_interval
        self.insert_settings = insert_settings(store)
        self._next_retry = 0.0
        self.stats = {"stored": 0, "duplicates": 0, "spooled": 0, "replayed": 0, "inserts": 0}
        self._converting = 0  # requests between admission and hand-over to the writer
        self._converting_lock = threading.Lock()
        self.writer = BatchWriter(
            self._write, idle=self._replay, idle_interval=retry_interval,
            pending=lambda: self._converting, linger=linger,
        )  # fmt: skip

    # -- writer thread ---------------------------------------------------------------
    def _insert_table(self, table: Any) -> int:
        """Insert the rows of ``table`` not stored yet; returns how many were new."""
        known = self.stored_traces
        fresh = drop_duplicates(self.store, table, known.maybe_stored if known else None)
        self.stats["duplicates"] += table.num_rows - fresh.num_rows
        if known is not None:  # after the check above, before the rows are in the store
            known.add(table)
        if fresh.num_rows:
            self.store.insert_arrow(SPANS_TABLE, fresh, settings=self.insert_settings)
            self.stats["inserts"] += 1
        self.stats["stored"] += fresh.num_rows
        return fresh.num_rows

    def _write(self, table: Any) -> None:
        if len(self.spool):
            self._replay()  # keep order: older spooled batches go first
        if not len(self.spool):
            try:
                self._insert_table(table)
                return
            except StoreError as exc:
                if not exc.retryable:
                    raise
                logger.warning("store unavailable, spooling to %s: %s", self.spool.directory, exc)
                self._next_retry = time.monotonic() + self.retry_interval
        self.spool.append(table)  # raises SpoolFull past the limit
        self.stats["spooled"] += table.num_rows

    def _replay(self) -> None:
        """Move spooled batches into the store, oldest first, while it takes them."""
        if not len(self.spool) or time.monotonic() < self._next_retry:
            return
        while True:
            item = self.spool.oldest()
            if item is None:
                logger.info("spool replayed; writing to the store directly again")
                return
            path, table = item
            try:
                self._insert_table(table)
            except StoreError as exc:
                self._next_retry = time.monotonic() + self.retry_interval
                logger.debug(
                    "store still unavailable (%d batches spooled): %s", len(self.spool), exc
                )
                return
            self.spool.remove(path)
            self.stats["replayed"] += table.num_rows

    # -- request threads -------------------------------------------------------------
    def consume(self, request: Any, project: str = "default", size: int | None = None) -> int:
        """Convert and store one OTLP request; returns the number of spans stored.

        Raises ``InvalidSpans`` for malformed input (nothing stored), ``Overloaded``
        when too many bytes are in flight, ``SpoolFull`` when the store is down and
        the spool is full, ``StoreError`` when the store could not take the batch.
        """
        if size is None:
            size = request.ByteSize()
        self.limiter.acquire(size)
        try:
            with self._converting_lock:
                self._converting += 1
            try:
                batch = convert(request, default_project=project)
                for processor in self.processors:
                    processor.process(batch)
                future = self.writer.submit(batch.to_arrow())
            finally:
                with self._converting_lock:
                    self._converting -= 1
            future.result(self.write_timeout)
            return len(batch)
        finally:
            self.limiter.release(size)

    def close(self) -> None:
        self.writer.close()
