"""Group commit: many OTLP requests share one insert; each caller waits for its rows.

A request is acknowledged only after the insert that carried it returned, so an
acknowledged span is in the store. While one insert runs, new requests queue
up and go together in the next one, so batches grow with load without adding
a fixed linger delay to every reply.

Items are Arrow tables, built on the request threads: the writer thread only
concatenates (zero-copy), deduplicates and inserts, so the Python work of the next
requests overlaps the insert running (GIL released) in the store.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

logger = logging.getLogger("spanwise.collector")

InsertFn = Callable[[Any], None]  # takes a pyarrow.Table
IdleFn = Callable[[], None]


class WriterClosed(RuntimeError):
    """The writer is shutting down and takes no new batches."""


class BatchWriter:
    def __init__(
        self,
        insert: InsertFn,
        max_rows: int = 50_000,
        idle: IdleFn | None = None,
        idle_interval: float = 1.0,
        pending: Callable[[], int] | None = None,
        linger: float = 0.2,
        linger_rows: int = 2048,
    ) -> None:
        self._insert = insert
        self._max_rows = max_rows
        # ``pending()``: requests admitted and being converted right now. While there are
        # some, the writer waits (at most ``linger`` s) for them to join the batch: every
        # insert makes a part that merges rewrite later, so fewer, bigger inserts cost less
        # CPU per span; with nothing being converted it never waits. It stops waiting once
        # the batch holds ``linger_rows``: the requests still converting then form the next
        # batch while this one is inserted, so the Python work (GIL) overlaps the engine's
        # insert instead of alternating with it — with every request waiting for one group
        # commit, a closed loop of senders kept ~1.2 of 2 cores busy; 2,048 rows (four
        # 512-span exports) kept ~1.6 (docs/ingest-performance.md, session 4).
        self._pending = pending
        self._linger = linger
        self._linger_rows = linger_rows
        # Called on the writer thread when no batch arrived for ``idle_interval``
        # seconds (spool replay runs here, so one thread does every insert).
        self._idle = idle
        self._idle_interval = idle_interval
        self._queue: queue.Queue[tuple[Any, Future[None]] | None] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="spanwise-writer", daemon=True)
        self._thread.start()

    def submit(self, table: Any) -> Future[None]:
        future: Future[None] = Future()
        if self._closed:
            future.set_exception(WriterClosed("the collector is shutting down"))
            return future
        if table.num_rows == 0:
            future.set_result(None)
            return future
        self._queue.put((table, future))
        return future

    def _take(self) -> tuple[list[tuple[Any, Future[None]]], bool]:
        while True:
            try:
                first = self._queue.get(timeout=self._idle_interval if self._idle else None)
                break
            except queue.Empty:
                assert self._idle is not None
                try:
                    self._idle()
                except Exception:
                    logger.exception("writer idle task failed")
        if first is None:
            return [], True
        items = [first]
        rows = first[0].num_rows
        linger_until = None
        while rows < self._max_rows:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                # Nothing queued: wait (up to the linger) only for requests still being
                # converted, and only while the batch is small; a lone request never waits.
                if rows >= self._linger_rows or self._pending is None or self._pending() <= 0:
                    break
                if linger_until is None:
                    linger_until = time.monotonic() + self._linger
                try:
                    item = self._queue.get(timeout=max(0.0, linger_until - time.monotonic()))
                except queue.Empty:
                    break
            if item is None:
                return items, True
            items.append(item)
            rows += item[0].num_rows
        return items, False

    def _run(self) -> None:
        while True:
            items, stop = self._take()
            if items:
                self._flush(items)
            if stop:
                return

    def _flush(self, items: list[tuple[Any, Future[None]]]) -> None:
        if len(items) == 1:
            merged = items[0][0]
        else:
            import pyarrow as pa

            merged = pa.concat_tables([table for table, _ in items])
        try:
            self._insert(merged)
        except BaseException as exc:
            for _, future in items:
                future.set_exception(exc)
            return
        for _, future in items:
            future.set_result(None)

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking batches; drain what is queued (SIGTERM path)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)
