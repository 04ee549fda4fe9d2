"""receive → convert/normalise → processors (pricing, …) → spool → group-commit writer → store.

Guarantees (docs/reliability.md): a request is acknowledged only once its spans are
fsynced to the spool (the ingest write-ahead log), from which the writer moves them into
the store; spans are stored once however often they are delivered; request bytes not yet
in the store are bounded; `Pipeline.sync` lets readers see everything acknowledged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..store import ClickHouseStore, StoreError
from ..store.ddl import TEXT_INDEXES
from .admission import InflightLimiter
from .batch import SpanBatch
from .conform import BatchUnfit, SpanTableFit
from .convert import convert
from .convert_pool import ConvertPool, convert_bytes, decode
from .dedup import SPANS_TABLE, drop_duplicates
from .spool import Spool, SpoolDamaged
from .stored_traces import StoredTraces
from .writer import BatchWriter, WriterClosed

logger = logging.getLogger("spanwise.collector")

# Request bytes not yet in the store (the writer holds their Arrow tables in memory): a
# backlog of ~5 s at full load on 2 cores; past it senders back off.
DEFAULT_MAX_INFLIGHT_BYTES = 128 * 1024 * 1024
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


# A spooled batch that fails this many times in a row for a reason other than the store
# (a bug, or data the code cannot handle) is set aside: it would fail forever and hold
# every later batch behind it. The store being down never counts (that waits forever).
MAX_BATCH_FAILURES = 3

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


class BatchProcessor(Protocol):
    """A stage that fills or rewrites columns of a batch in place (e.g. pricing)."""

    def process(self, batch: SpanBatch) -> None: ...


@dataclass(frozen=True)
class _Acked:
    """A request's batch: acknowledged, in the spool at ``path``, not yet in the store."""

    table: Any
    path: Path
    size: int  # request bytes held in the in-flight limit until the batch is stored
    seq: int  # acknowledgement order, for `Pipeline.sync`


class _Behind(Exception):
    """Earlier batches wait in the spool (store down, or one being retried): newer ones
    queue behind them, in order."""


def _concat(tables: list[Any]) -> Any:
    if len(tables) == 1:
        return tables[0]
    import pyarrow as pa

    return pa.concat_tables(tables)


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
        linger: float = 0.5,
        stored_traces: StoredTraces | None = None,
        convert_workers: int = 0,
    ) -> None:
        self.store = store
        # Worker processes that decode requests given as bytes (`consume_bytes`).
        self.convert_pool = ConvertPool(convert_workers) if convert_workers > 0 else None
        # Told about every table before it is inserted (spool replays too).
        self.stored_traces = stored_traces
        self.processors = list(processors)
        self.limiter = InflightLimiter(max_inflight_bytes)
        self.spool = Spool(spool_dir or default_spool_dir(store), spool_max_bytes)
        self.retry_interval = retry_interval
        self.insert_settings = insert_settings(store)
        self._next_retry = 0.0
        # Batches from another version's schema are made to fit the table (conform.py).
        self._fit = SpanTableFit(store, SPANS_TABLE)
        # The oldest spooled batch's failures in a row for a non-store reason.
        self._failures: tuple[Path | None, int] = (None, 0)
        self.stats = {"stored": 0, "duplicates": 0, "spooled": 0, "replayed": 0, "inserts": 0,
                      "rejected": 0}  # fmt: skip
        # Acknowledged vs written (stored, or left in the spool for replay), in order.
        self._acked_seq = 0
        self._written_seq = 0
        self._seq = threading.Condition()
        self._down = False  # the last insert failed with a retryable error
        # Set once the writer has tried the spool found at start: those batches were
        # acknowledged by an earlier run, so readers wait for them too (`sync`).
        self._started = threading.Event()
        # One more per worker: a request waiting on a worker holds no GIL (3 vs 6 at once
        # with one worker: within noise, docs/ingest-performance.md session 5).
        self._converting = threading.BoundedSemaphore(CONVERTING_AT_ONCE + convert_workers)
        self.writer: BatchWriter[_Acked] = BatchWriter(
            self._write, linger=linger, idle=self._idle, idle_interval=retry_interval
        )

    # -- writer thread ---------------------------------------------------------------
    def _insert_table(self, table: Any) -> int:
        """Insert the rows of ``table`` not stored yet; returns how many were new."""
        table = self._fit(table)
        known = self.stored_traces
        fresh = drop_duplicates(self.store, table, known.maybe_stored if known else None)
        if known is not None:  # after the check above, before the rows are in the store
            known.add(table)
        if fresh.num_rows:
            self.store.insert_arrow(SPANS_TABLE, fresh, settings=self.insert_settings)
            self.stats["inserts"] += 1
        self.stats["stored"] += fresh.num_rows
        self.stats["duplicates"] += table.num_rows - fresh.num_rows  # once, when it worked
        return fresh.num_rows

    def _write(self, items: list[_Acked]) -> None:
        """Move a group of acknowledged batches from memory into the store."""
        pending = list(items)  # neither stored nor set aside yet
        try:
            if len(self.spool):
                self._replay()  # keep order: batches spooled earlier go first
            if len(self.spool):
                raise _Behind(f"{len(self.spool)} earlier batches still wait in the spool")
            try:
                self._insert_table(_concat([item.table for item in items]))
            except StoreError as exc:
                if exc.retryable:
                    raise
                self._write_one_by_one(pending, exc)
            else:
                for item in items:
                    self.spool.remove(item.path)
                pending.clear()
            self._note_up()
        except Exception as exc:
            # Already on disk: leave them in the spool, replayed when the store is back.
            self.spool.release([item.path for item in pending])
            self.stats["spooled"] += sum(item.table.num_rows for item in pending)
            if isinstance(exc, _Behind):  # in order behind them; replay says why they wait
                logger.debug("%s; %d more join them", exc, len(pending))
            elif isinstance(exc, StoreError) and exc.retryable:
                self._note_down(exc)
            else:
                logger.error("writing %d batches failed; they wait in the spool: %s",
                             len(pending), exc)  # fmt: skip
            self._next_retry = time.monotonic() + self.retry_interval
        finally:
            for item in items:
                self.limiter.release(item.size)
            with self._seq:  # stored, set aside or spooled: written, for `sync`
                self._written_seq = max(self._written_seq, items[-1].seq)
                self._seq.notify_all()

    def _write_one_by_one(self, pending: list[_Acked], refusal: StoreError) -> None:
        """The store refused the insert of ``pending`` for good: a batch in it holds data
        the store cannot take. Insert each batch alone, in order, so only the refused ones
        are set aside; each leaves ``pending`` once settled. A retryable error raises,
        leaving the rest in ``pending`` (and so in the spool, in order)."""
        if len(pending) > 1:
            logger.warning(
                "the store refused an insert of %d batches for good (%s); inserting them "
                "one at a time to set aside only the refused ones", len(pending), refusal,
            )  # fmt: skip
        alone = len(pending) == 1
        while pending:
            item = pending[0]
            error = refusal if alone else self._insert_or_refusal(item.table)
            if error is None:
                self.spool.remove(item.path)
            else:
                self._set_aside(item.path, item.table.num_rows, error)
            pending.pop(0)

    def _insert_or_refusal(self, table: Any) -> StoreError | None:
        """Insert ``table``; the error if the store refuses it for good (None: stored).
        A retryable error raises."""
        try:
            self._insert_table(table)
        except StoreError as exc:
            if exc.retryable:
                raise
            return exc
        return None

    def _idle(self) -> None:
        try:
            self._replay()
        finally:
            self._started.set()

    def _replay(self) -> None:
        """Move spooled batches into the store, oldest first, while it takes them."""
        if not len(self.spool) or time.monotonic() < self._next_retry:
            return
        self._fit.forget()  # the table may have changed since the last pass (migration)
        while True:
            try:
                item = self.spool.oldest()
            except SpoolDamaged as exc:
                self._set_aside(exc.path, 0, exc)
                continue
            if item is None:
                logger.info("spool replayed; writing to the store directly again")
                return
            path, table = item
            if not self._replay_one(path, table):
                return

    def _replay_one(self, path: Path, table: Any) -> bool:
        """Store the oldest spooled batch, or set it aside; False: it stays first in line
        and replay resumes after ``retry_interval``."""
        try:
            error: Exception | None = self._insert_or_refusal(table)
        except (StoreError, MemoryError) as exc:  # the store (or this host) is short for now
            self._next_retry = time.monotonic() + self.retry_interval
            self._note_down(exc)
            logger.debug("store still unavailable (%d batches spooled): %s", len(self.spool), exc)
            return False
        except BatchUnfit as exc:
            error = exc
        except Exception as exc:  # a bug, or data the code cannot handle
            error = self._failed(path, exc)
            if error is None:
                self._next_retry = time.monotonic() + self.retry_interval
                return False
        if error is not None:
            self._set_aside(path, table.num_rows, error)
            return True
        self.spool.remove(path)
        self.stats["replayed"] += table.num_rows
        self._note_up()
        return True

    def _note_down(self, exc: BaseException) -> None:
        if not self._down:  # once per outage
            self._down = True
            logger.warning("store unavailable, batches wait in the spool at %s: %s",
                           self.spool.directory, exc)  # fmt: skip

    def _note_up(self) -> None:
        if self._down:
            self._down = False
            logger.info("store available again")

    def _failed(self, path: Path, exc: Exception) -> Exception | None:
        """Count a failure of the spooled batch ``path`` that is not the store's; the
        error to set it aside with once it failed `MAX_BATCH_FAILURES` times in a row."""
        last, count = self._failures
        count = count + 1 if last == path else 1
        self._failures = (path, count)
        if count < MAX_BATCH_FAILURES:
            logger.warning(
                "replaying the spooled batch %s failed (%d of %d tries before it is set "
                "aside), not because of the store: %r", path.name, count, MAX_BATCH_FAILURES,
                exc, exc_info=count == 1,
            )  # fmt: skip
            return None
        self._failures = (None, 0)
        return RuntimeError(f"it failed {count} times in a row, not because of the store: "
                            f"{exc!r}")  # fmt: skip

    def _set_aside(self, path: Path, rows: int, error: Exception) -> None:
        """A spooled batch that cannot be stored (unreadable, refused for good, unfit for
        the table, failing every time) would block every later one: move it to
        ``rejected/``, kept on disk, and say so."""
        target = self.spool.reject(path)
        self.stats["rejected"] += rows
        logger.error(
            "set aside an acknowledged batch (%d spans) that cannot be stored: %s. It is kept "
            "at %s, never retried, never deleted by Spanwise: an Arrow IPC stream file "
            "(read it with pyarrow.ipc.open_stream). To store it once the cause is fixed, "
            "move it back into %s and restart the collector (replay is idempotent).",
            rows, error, target, self.spool.directory,
        )  # fmt: skip

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
            return self.consume(decode(data, encoding), project, size=len(data))
        return self._ingest(len(data), lambda: self._convert_pooled(pool, data, project, encoding))

    def _ingest(self, size: int, produce: Any) -> int:
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
        return batch.write_back(table, names)

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
                self.writer.submit(_Acked(table, path, size, self._acked_seq + 1), table.num_rows)
                self._acked_seq += 1
        except WriterClosed:
            # Durable already: the next start replays it. Not acknowledged, so the sender
            # retries too; the replay and the retry dedup to one copy.
            self.spool.release([path])
            self.limiter.release(size)
            raise
        return table.num_rows

    def sync(self, timeout: float = 10.0) -> bool:
        """Wait until every batch acknowledged before this call is written (stored, or in
        the spool while the store is down); ``False`` if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        if not self._started.wait(timeout):
            return False
        with self._seq:
            target = self._acked_seq
            if self._written_seq >= target:
                return True
        self.writer.nudge()
        with self._seq:
            return self._seq.wait_for(
                lambda: self._written_seq >= target, max(0.0, deadline - time.monotonic())
            )

    def close(self) -> None:
        if self.convert_pool is not None:
            self.convert_pool.close()
        self.writer.close()
