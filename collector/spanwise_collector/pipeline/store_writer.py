"""The writer side of the pipeline: moves acknowledged batches from memory, or from the
spool, into the store — in order, once each (dedup), setting aside the ones that can never
be stored, waiting out store outages. Runs on the `BatchWriter` thread (writer.py).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store import ClickHouseStore, StoreError
from .admission import InflightLimiter
from .conform import BatchUnfit, SpanTableFit
from .dedup import SPANS_TABLE, drop_duplicates
from .spool import Spool, SpoolDamaged
from .stored_traces import StoredTraces

__all__ = ["MAX_BATCH_FAILURES", "Acked", "StoreWriter"]

logger = logging.getLogger("spanwise.collector")

# A spooled batch that fails this many times in a row for a reason other than the store
# (a bug, or data the code cannot handle) is set aside: it would fail forever and hold
# every later batch behind it. The store being down never counts (that waits forever).
MAX_BATCH_FAILURES = 3


@dataclass(frozen=True)
class Acked:
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


class StoreWriter:
    """`write` and `idle` for the `BatchWriter` thread; updates the shared ``stats`` and
    ``written_seq`` (under ``seq``, notified) for `Pipeline.sync`."""

    def __init__(
        self,
        store: ClickHouseStore,
        spool: Spool,
        limiter: InflightLimiter,
        insert_settings: dict[str, Any],
        retry_interval: float,
        stored_traces: StoredTraces | None,
        stats: dict[str, int],
        seq: threading.Condition,
    ) -> None:
        self.store, self.spool, self.limiter = store, spool, limiter
        self.insert_settings = insert_settings
        self.retry_interval = retry_interval
        # Told about every table before it is inserted (spool replays too).
        self.stored_traces = stored_traces
        self.stats, self._seq = stats, seq  # shared with the Pipeline (`sync`)
        # Acknowledged batches written (stored, set aside or left in the spool), in order.
        self.written_seq = 0
        self._next_retry = 0.0
        # Batches from another version's schema are made to fit the table (conform.py).
        self._fit = SpanTableFit(store, SPANS_TABLE)
        # The oldest spooled batch's failures in a row for a non-store reason.
        self._failures: tuple[Path | None, int] = (None, 0)
        self._down = False  # the last insert failed with a retryable error
        # Set once the writer has tried the spool found at start: those batches were
        # acknowledged by an earlier run, so readers wait for them too (`sync`).
        self.started = threading.Event()

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

    def write(self, items: list[Acked]) -> None:
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
                self.written_seq = max(self.written_seq, items[-1].seq)
                self._seq.notify_all()

    def _write_one_by_one(self, pending: list[Acked], refusal: StoreError) -> None:
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

    def idle(self) -> None:
        try:
            self._replay()
        finally:
            self.started.set()

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

    @property
    def store_up(self) -> bool:
        """False from a failed insert (retryable) until one succeeds again."""
        return not self._down

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
