"""Group commit: the batches of many requests go into the store in one insert.

A request's batch is durable in the spool before the request is acknowledged
(spool.py), so nobody waits for the insert: the writer thread takes whatever has
queued up and inserts it in one go, lingering a little for more while the batch is
small. Two gains over acknowledging after the insert (measured in
docs/ingest-performance.md, session 4):
- every insert writes a part into ``otel_traces`` and into each view's table, a fixed
  engine cost of tens of ms whatever the rows; bigger inserts spread it thinner and
  leave fewer parts for merges to rewrite;
- converting the next requests (Python) overlaps the insert (engine) instead of
  alternating with it, as it did when every sender waited for its group commit.

One thread does every insert, so the dedup check before it is exact (dedup.py).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

logger = logging.getLogger("spanwise.collector")

T = TypeVar("T")
IdleFn = Callable[[], None]

_NUDGE = object()  # queued by `nudge`: insert what is held now, don't linger
_STOP = object()


class WriterClosed(RuntimeError):
    """The writer is shutting down and takes no new batches."""


class BatchWriter(Generic[T]):
    def __init__(
        self,
        write: Callable[[list[T]], None],
        max_rows: int = 50_000,
        linger: float = 1.0,
        linger_rows: int = 40_000,
        idle: IdleFn | None = None,
        idle_interval: float = 1.0,
    ) -> None:
        # ``write(items)`` stores one group; it handles its own failures (it must not raise).
        self._write = write
        self._max_rows = max_rows
        # While the batch holds fewer than ``linger_rows`` rows and nothing else is queued,
        # wait up to ``linger`` s for more: fewer, bigger parts. Costs visibility latency
        # only; a reader that needs everything acknowledged calls `nudge` (Pipeline.sync).
        # Every part costs file creation (~230 files when wide) and later merges: 40k rows
        # and 1 s instead of 20k and 0.5 s took ~9% less CPU per span at full load
        # (docs/ingest-performance.md, session 7), for ~200 MB more memory.
        self._linger = linger
        self._linger_rows = linger_rows
        # Called on the writer thread when nothing arrived for ``idle_interval`` seconds
        # (spool replay runs here, so one thread does every insert).
        self._idle = idle
        self._idle_interval = idle_interval
        self._queue: queue.Queue[Any] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="spanwise-writer", daemon=True)
        self._thread.start()

    def submit(self, item: T, rows: int) -> None:
        if self._closed:
            raise WriterClosed("the collector is shutting down")
        self._queue.put((item, rows))

    def nudge(self) -> None:
        """Stop lingering: insert what is queued now."""
        self._queue.put(_NUDGE)

    def _next(self, timeout: float | None) -> Any:
        """The next queued entry (``queue.Empty`` after ``timeout``)."""
        if timeout is None:
            return self._queue.get()
        return self._queue.get(timeout=max(0.0, timeout))

    def _take(self) -> tuple[list[T], bool]:
        while True:
            try:
                first = self._next(self._idle_interval if self._idle else None)
            except queue.Empty:
                assert self._idle is not None
                try:
                    self._idle()
                except Exception:
                    logger.exception("writer idle task failed")
                continue
            if first is _STOP:
                return [], True
            if first is not _NUDGE:  # a nudge with nothing held: nothing to hurry
                break
        item, rows = first
        items = [item]
        linger_until = time.monotonic() + self._linger
        while rows < self._max_rows:
            try:
                entry = self._queue.get_nowait()
            except queue.Empty:
                if rows >= self._linger_rows:
                    break
                try:
                    entry = self._next(linger_until - time.monotonic())
                except queue.Empty:
                    break
            if entry is _STOP:
                return items, True
            if entry is _NUDGE:
                break
            item, n = entry
            items.append(item)
            rows += n
        return items, False

    def _run(self) -> None:
        if self._idle is not None:  # first the spool a previous run left (crash, outage)
            try:
                self._idle()
            except Exception:
                logger.exception("writer idle task failed")
        while True:
            items, stop = self._take()
            if items:
                try:
                    self._write(items)
                except Exception:  # write() handles failures; this is a bug, keep going
                    logger.exception("writer failed to write %d batches", len(items))
            if stop:
                return

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking batches; write what is queued (SIGTERM path)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout)
