"""Group commit: many OTLP requests share one insert; each caller waits for its rows.

A request is acknowledged only after the insert that carried it returned, so an
acknowledged span is in the store. While one insert runs, new requests queue
up and go together in the next one, so batches grow with load without adding
a fixed linger delay to every reply.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from .batch import SpanBatch

logger = logging.getLogger("spanwise.collector")

InsertFn = Callable[[SpanBatch], None]
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
    ) -> None:
        self._insert = insert
        self._max_rows = max_rows
        # Called on the writer thread when no batch arrived for ``idle_interval``
        # seconds (spool replay runs here, so one thread does every insert).
        self._idle = idle
        self._idle_interval = idle_interval
        self._queue: queue.Queue[tuple[SpanBatch, Future[None]] | None] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="spanwise-writer", daemon=True)
        self._thread.start()

    def submit(self, batch: SpanBatch) -> Future[None]:
        future: Future[None] = Future()
        if self._closed:
            future.set_exception(WriterClosed("the collector is shutting down"))
            return future
        if len(batch) == 0:
            future.set_result(None)
            return future
        self._queue.put((batch, future))
        return future

    def write(self, batch: SpanBatch, timeout: float | None = None) -> None:
        """Store ``batch``; returns once it is in the store, raises if it is not."""
        self.submit(batch).result(timeout)

    def _take(self) -> tuple[list[tuple[SpanBatch, Future[None]]], bool]:
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
        rows = len(first[0])
        stop = False
        while rows < self._max_rows:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                stop = True
                break
            items.append(item)
            rows += len(item[0])
        return items, stop

    def _run(self) -> None:
        while True:
            items, stop = self._take()
            if items:
                self._flush(items)
            if stop:
                return

    def _flush(self, items: list[tuple[SpanBatch, Future[None]]]) -> None:
        if len(items) == 1:
            merged = items[0][0]
        else:
            merged = SpanBatch()
            for batch, _ in items:
                merged.extend(batch)
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
