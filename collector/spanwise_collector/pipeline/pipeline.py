"""receive → convert/normalise → processors (pricing, …) → spool → group-commit writer → store.

Guarantees (docs/reliability.md): a request is acknowledged only once its spans are
fsynced to the spool (the ingest write-ahead log), from which the writer moves them into
the store; spans are stored once however often they are delivered; request bytes not yet
in the store are bounded; `Pipeline.sync` lets readers see everything acknowledged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..store import ClickHouseStore
from ..store.ddl import TEXT_INDEXES
from .admission import InflightLimiter, Overloaded
from .batch import SpanBatch
from .convert import InvalidSpans, convert
from .convert_pool import ConvertPool, convert_bytes, decode
from .limits import DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_SPOOL_MAX_BYTES
from .spool import Spool, SpoolFull
from .store_writer import Acked, StoreWriter
from .stored_traces import StoredTraces
from .writer import BatchWriter, WriterClosed

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


# Requests converted at once (the rest wait their turn, still admitted): conversion is
# Python holding the GIL, so more at once only take turns — and starve the writer thread
# of the GIL it needs between inserts.
CONVERTING_AT_ONCE = 2


def insert_settings(store: ClickHouseStore) -> dict[str, Any]:
    """INSERT_SETTINGS, plus deferred text indexes where the server knows the setting."""
    settings = dict(INSERT_SETTINGS)
    if TEXT_INDEXES and store.has_setting(DEFER_INDEXES_SETTING):
        settings[DEFER_INDEXES_SETTING] = ", ".join(TEXT_INDEXES)
    return settings


REFUSAL_REASONS = ("invalid", "overloaded", "spool_full", "closing", "error")


def refusal_reason(exc: BaseException) -> str:
    """Why a request was refused, for /metrics: the client's (``invalid``), the
    collector's load (``overloaded``), the store down long enough to fill the spool
    (``spool_full``), shutdown (``closing``), else ``error``."""
    if isinstance(exc, InvalidSpans):
        return "invalid"
    if isinstance(exc, Overloaded):
        return "overloaded"
    if isinstance(exc, SpoolFull):
        return "spool_full"
    if isinstance(exc, WriterClosed):
        return "closing"
    return "error"


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
        spool_dir: str | Path | None = None,
        spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES,
        max_inflight_bytes: int = DEFAULT_MAX_INFLIGHT_BYTES,
        retry_interval: float = 1.0,
        linger: float = 1.0,
        stored_traces: StoredTraces | None = None,
        convert_workers: int = 0,
    ) -> None:
        self.store = store
        # Worker processes that decode requests given as bytes (`consume_bytes`).
        self.convert_pool = ConvertPool(convert_workers) if convert_workers > 0 else None
        self.processors = list(processors)
        self.limiter = InflightLimiter(max_inflight_bytes)
        self.spool = Spool(spool_dir or default_spool_dir(store), spool_max_bytes)
        self.stats = {"stored": 0, "duplicates": 0, "spooled": 0, "replayed": 0, "inserts": 0,
                      "rejected": 0, "accepted_spans": 0, "accepted_requests": 0}  # fmt: skip
        # Requests refused, by reason (`refusal_reason`); read by /metrics.
        self.refused: dict[str, int] = {}
        self._refused_lock = threading.Lock()
        # Acknowledged here vs written by the store writer, in order (`sync`).
        self._acked_seq = 0
        self._seq = threading.Condition()
        self.store_writer = StoreWriter(
            store, self.spool, self.limiter, insert_settings(store), retry_interval,
            stored_traces, self.stats, self._seq,
        )  # fmt: skip
        # One more per worker: a request waiting on a worker holds no GIL (3 vs 6 at once
        # with one worker: within noise, docs/ingest-performance.md session 5).
        self._converting = threading.BoundedSemaphore(CONVERTING_AT_ONCE + convert_workers)
        self.writer: BatchWriter[Acked] = BatchWriter(
            self.store_writer.write,
            linger=linger,
            idle=self.store_writer.idle,
            idle_interval=retry_interval,
        )

    # -- request threads -------------------------------------------------------------
    def consume(self, request: Any, project: str = "default", size: int | None = None) -> int:
        """Convert one OTLP request and make it durable; returns the number of spans.

        When this returns, the spans are fsynced to the spool and the writer will move
        them into the store (`sync` waits for that). Raises ``InvalidSpans`` for malformed
        input (nothing stored), ``Overloaded`` when too many bytes are not stored yet,
        ``SpoolFull`` when the spool is full (store down), ``WriterClosed`` at shutdown.
        """
        if size is None:
            size = request.ByteSize()
        return self._ingest(size, lambda: self._convert(request, project))

    def consume_bytes(
        self, data: bytes, project: str = "default", encoding: str = "protobuf"
    ) -> int:
        """`consume` for a request body (``protobuf``, or OTLP/JSON as ``json``): decoded
        in a worker process when the conversion pool is up (convert_pool.py), else in
        this one."""
        pool = self.convert_pool
        if pool is None or not pool.ready.is_set():
            if pool is not None:
                pool.start()
            return self._ingest(len(data), lambda: self._convert(decode(data, encoding), project))
        return self._ingest(len(data), lambda: self._convert_pooled(pool, data, project, encoding))

    def _ingest(self, size: int, produce: Any) -> int:
        """`_admit` a request, counting a refusal by its reason (/metrics)."""
        try:
            return self._admit(size, produce)
        except BaseException as exc:
            reason = refusal_reason(exc)
            with self._refused_lock:
                self.refused[reason] = self.refused.get(reason, 0) + 1
            raise

    def _admit(self, size: int, produce: Any) -> int:
        """Admit ``size`` request bytes, convert (``produce`` → Arrow table), accept."""
        self.limiter.acquire(size)
        try:
            with self._converting:
                table = produce()
        except BaseException:
            self.limiter.release(size)
            raise
        return self._accept(table, size)

    def _convert(self, request: Any, project: str) -> Any:
        batch = convert(request, default_project=project)
        for processor in self.processors:
            processor.process(batch)
        return batch.to_arrow()

    def _convert_pooled(self, pool: ConvertPool, data: bytes, project: str, encoding: str) -> Any:
        table = pool.convert(data, project, encoding)
        if table is None:  # no worker could take it
            table = convert_bytes(data, project, encoding)
        return self._process_arrow(table) if self.processors else table

    def _process_arrow(self, table: Any) -> Any:
        """Run the processors over a decoded table; only the columns they read become
        Python lists, and only the ones they fill go back (``writes``)."""
        batch = SpanBatch.over_arrow(table)
        for processor in self.processors:
            processor.process(batch)
        names = {n for p in self.processors for n in getattr(p, "writes", batch.columns)}
        return batch.write_back(table, names | batch.touched)

    def _accept(self, table: Any, size: int) -> int:
        """Spool a converted table (the acknowledgement point) and queue it for the writer."""
        if not table.num_rows:
            self.limiter.release(size)
            return 0
        try:
            path = self.spool.append(table, held=True)
        except BaseException:
            self.limiter.release(size)
            raise
        try:
            with self._seq:  # numbered in queue order, so `sync` can trust the order
                self.writer.submit(Acked(table, path, size, self._acked_seq + 1), table.num_rows)
                self._acked_seq += 1
                self.stats["accepted_requests"] += 1
                self.stats["accepted_spans"] += table.num_rows
        except WriterClosed:
            # Durable already: the next start replays it. Not acknowledged, so the sender
            # retries too; the replay and the retry dedup to one copy.
            self.spool.release([path])
            self.limiter.release(size)
            raise
        return table.num_rows

    @property
    def unwritten(self) -> int:
        """Acknowledged batches not written yet (in the store, or the spool when it is down)."""
        return self._acked_seq - self.store_writer.written_seq

    def sync(self, timeout: float = 10.0) -> bool:
        """Wait until every batch acknowledged before this call is written (stored, or in
        the spool while the store is down); ``False`` if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        if not self.store_writer.started.wait(timeout):
            return False
        with self._seq:
            target = self._acked_seq
            if self.store_writer.written_seq >= target:
                return True
        self.writer.nudge()
        with self._seq:
            return self._seq.wait_for(
                lambda: self.store_writer.written_seq >= target,
                max(0.0, deadline - time.monotonic()),
            )

    def close(self) -> None:
        if self.convert_pool is not None:
            self.convert_pool.close()
        self.writer.close()
