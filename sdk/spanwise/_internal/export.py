"""The export queue between finished spans and the OTLP exporter.

Why not OTel's ``BatchSpanProcessor``: its ``force_flush`` ignores the timeout
(it exports synchronously on the caller's thread, each batch up to the export
timeout), it counts nothing unless SDK metrics are on, and a dead collector
logs at every attempt. Here:

* ``put`` takes no lock: a bounded deque. When it is full while the exporter is
  making progress (a burst from the application outrunning it), the producing thread
  waits for room, at most ``max_block_s`` per stall (backpressure instead of loss);
  when the exporter is failing or stalled past that, spans beyond the bound are
  dropped and counted.
* One worker thread exports batches through ``OTLPSpanExporter``, which already
  retries UNAVAILABLE / RESOURCE_EXHAUSTED (honouring RetryInfo) /
  DEADLINE_EXCEEDED with 2^n backoff and ±20% jitter inside its deadline and
  never retries INVALID_ARGUMENT / UNAUTHENTICATED. After a failed batch the
  worker pauses (exponential, jittered) so queued spans wait for the collector
  to come back instead of being burnt through failed attempts.
* ``flush(timeout)`` and ``shutdown(timeout)`` only wait; they return when the
  timeout passes, whatever the exporter is doing.
* The exporter's per-attempt log lines are held back on the worker thread;
  one warning is logged when export starts failing and one line when it recovers.
"""

from __future__ import annotations

import collections
import itertools
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("spanwise")

_OTLP_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
)
_MAX_PAUSE_S = 30.0


@dataclass(frozen=True)
class SpanStats:
    """Span counters of this process since start (or since ``fork()`` in a child)."""

    exported: int  # acknowledged by the collector
    dropped: int  # never sent: the queue was full, or the process exited first
    failed: int  # sent, but the collector refused them or could not be reached
    queued: int  # waiting in the queue now


class _Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.exported = 0
        self.dropped = 0
        self.failed = 0

    def add(self, exported: int = 0, dropped: int = 0, failed: int = 0) -> None:
        with self.lock:
            self.exported += exported
            self.dropped += dropped
            self.failed += failed

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.exported = self.dropped = self.failed = 0


COUNTERS = _Counters()


class _QuietOnWorker(logging.Filter):
    """Holds back the OTLP exporter's log records emitted on Spanwise worker threads,
    keeping the last one so the single warning can say what went wrong."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[int, str] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(threading.current_thread(), "spanwise_worker", False):
            return True  # the application's own exporters log as usual
        try:
            self.last[record.thread or 0] = record.getMessage()
        except Exception:
            self.last[record.thread or 0] = str(record.msg)
        return False


QUIET = _QuietOnWorker()
for _name in _OTLP_LOGGERS:
    logging.getLogger(_name).addFilter(QUIET)


class ExportQueue:
    """Bounded queue + one export thread. Thread-safe; ``put`` takes no lock."""

    def __init__(
        self,
        exporter: Any,
        endpoint: str,
        max_queue_size: int = 8192,
        max_batch_size: int = 1024,
        schedule_delay_s: float = 0.5,
        max_block_s: float = 1.0,
    ) -> None:
        self._exporter = exporter
        self._endpoint = endpoint
        self._max_queue = max(1, max_queue_size)
        self._max_batch = max(1, min(max_batch_size, self._max_queue))
        self._delay = max(0.01, schedule_delay_s)
        self._queue: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        # Idle: with nothing queued the worker sleeps until a span arrives (``put`` sets
        # ``_busy`` when it sees ``_sleeping``), instead of waking every tick for nothing.
        self._busy = threading.Event()
        self._sleeping = False
        self.wakeups = 0  # worker loop turns (tests: an idle SDK does not wake)
        self._done = threading.Condition()
        self._stopping = False
        # Sequence numbers: a flush waits until ``_finished`` (sent or failed) reaches
        # the number of spans accepted before it was called.
        self._seq = itertools.count(1)
        self._accepted = 0
        self._finished = 0
        self._flush_target = 0  # a flush asked for spans up to here: no pause until sent
        self._failing = False
        self._pause = 0.0
        # Backpressure: producers wait on ``_room`` while the queue is full, until
        # ``_block_until`` (set by the first waiter, cleared when an export finishes).
        self._max_block = max(0.0, max_block_s)
        self._room = threading.Condition(threading.Lock())
        self._waiting = 0
        self._block_until = 0.0
        self._thread = threading.Thread(target=self._run, name="spanwise-export", daemon=True)
        self._thread.spanwise_worker = True  # type: ignore[attr-defined]
        self._thread.start()

    # -- producer side (user threads) ------------------------------------------------
    def put(self, span: Any) -> None:
        if len(self._queue) >= self._max_queue and not self._wait_for_room():
            COUNTERS.add(dropped=1)
            if not self._stopping:
                _warn_once(
                    "queue_full",
                    "spanwise: the span queue is full (%d spans) and export is not making "
                    "room (collector failing or stalled); new spans are dropped until it "
                    "catches up (counts in spanwise.stats())",
                    self._max_queue,
                )
            return
        if self._stopping:
            COUNTERS.add(dropped=1)
            return
        self._queue.append(span)
        self._accepted = next(self._seq)
        if self._sleeping:
            self._busy.set()
        if not self._pause and len(self._queue) >= self._max_batch and not self._wake.is_set():
            self._wake.set()  # (set() takes a lock: ~0.5 µs a span in a burst's backlog)

    def _wait_for_room(self) -> bool:
        """The queue is full: wait for the exporter to take a batch, unless it is
        failing, paused, stopping or has been stalled for ``max_block_s`` (then drop).

        Why wait: in a tight loop the application can make spans faster than the
        export thread, which shares the GIL with it, sends them (~9 µs of CPU per span
        plus the collector's round trip); a burst then overflows any bound. Waiting
        hands the GIL to the exporter; the spans are delivered instead of lost."""
        if (
            self._max_block <= 0.0
            or self._stopping
            or self._failing
            or self._pause
            or threading.current_thread() is self._thread
        ):
            return False
        with self._room:
            self._waiting += 1
            try:
                self._wake.set()
                while len(self._queue) >= self._max_queue:
                    now = time.monotonic()
                    if not self._block_until:  # the first wait since an export finished
                        self._block_until = now + self._max_block
                    remaining = self._block_until - now
                    if remaining <= 0 or self._stopping or self._failing or self._pause:
                        return False
                    self._room.wait(remaining)
            finally:
                self._waiting -= 1
        return True

    def _made_room(self, finished: bool) -> None:
        """Wake waiting producers: a batch left the queue (and, ``finished``, its export
        ended: the exporter is not stalled, so a new wait gets the full budget)."""
        with self._room:
            if finished:
                self._block_until = 0.0
            self._room.notify_all()

    @property
    def queued(self) -> int:
        return len(self._queue)

    # -- waiting -------------------------------------------------------------------
    def flush(self, timeout: float) -> bool:
        """Try to send every span queued before the call; wait at most ``timeout`` s."""
        target = self._accepted
        deadline = time.monotonic() + max(0.0, timeout)
        self._flush_target = max(self._flush_target, target)
        self._wake.set()
        with self._done:
            while self._finished < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping:
                    return False
                self._done.wait(min(remaining, 0.1))
        return True

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Send what is queued for up to ``timeout`` seconds, then stop; the rest is dropped."""
        if self._stopping:
            return True
        flushed = self.flush(timeout)
        if not flushed:
            self._warn_undelivered(timeout)
        self._stopping = True
        self._wake.set()
        self._busy.set()
        self._made_room(finished=False)  # waiting producers drop instead
        try:
            # Aborts the exporter's retry sleep and closes the channel (cancels the RPC).
            self._exporter.shutdown()
        except Exception:
            logger.debug("spanwise: exporter shutdown failed", exc_info=True)
        self._thread.join(0.5)
        left = len(self._queue)
        if left:
            self._queue.clear()
            COUNTERS.add(dropped=left)
        return flushed

    def _warn_undelivered(self, timeout: float) -> None:
        """Say that spans are given up: at exit with the collector down the first
        export is often still retrying, so no failure had been logged and a short
        script lost its spans without a word."""
        left = self._accepted - self._finished  # queued, or in the export that is cut short
        if left <= 0:
            return
        reason = QUIET.last.get(self._thread.ident or 0, "no answer from the collector")
        logger.warning(
            "spanwise: %d span(s) not delivered to %s within the %.1f s shutdown timeout (%s); "
            "they are dropped (see spanwise.stats())",
            left, self._endpoint, timeout, reason,
        )  # fmt: skip

    def abandon(self) -> None:
        """After ``fork()``, in the child: the thread and the gRPC channel belong to the
        parent. Forget them without touching the channel."""
        self._stopping = True
        self._queue.clear()

    # -- worker --------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping:
            self.wakeups += 1
            if self._pause:
                self._wake.wait(self._pause)  # after a failure; flush/shutdown wake it
            else:
                if not self._queue:
                    self._sleep_until_busy()
                if len(self._queue) < self._max_batch:
                    self._wake.wait(self._delay)  # the first span waits a tick for company
            self._wake.clear()
            if not self._stopping:
                self._drain()

    def _sleep_until_busy(self) -> None:
        # Order matters: ``_sleeping`` is raised and ``_busy`` cleared before the queue is
        # looked at, so a span appended after that look sees ``_sleeping`` and wakes us.
        self._sleeping = True
        self._busy.clear()
        try:
            if not self._queue and not self._stopping:
                self._busy.wait()
        finally:
            self._sleeping = False

    def _drain(self) -> None:
        # The spans queued when the worker woke (and any a flush waits for); spans that
        # arrive during the export wait for the next tick unless a full batch is
        # queued: exporting each newcomer at once turned a steady stream of spans into
        # one request per span (~250 µs of CPU each) instead of one per tick.
        target = self._accepted
        while self._queue and not self._stopping:
            if (
                self._finished >= target
                and self._finished >= self._flush_target
                and len(self._queue) < self._max_batch
            ):
                return
            batch = []
            while self._queue and len(batch) < self._max_batch:
                batch.append(self._queue.popleft())
            if self._waiting:
                self._made_room(finished=False)
            ok = self._export(batch)
            self._made_room(finished=True)
            with self._done:
                self._finished += len(batch)
                self._done.notify_all()
            if not ok and self._finished >= self._flush_target:
                return  # pause before the next attempt (see _run)

    def _export(self, batch: list[Any]) -> bool:
        try:
            from opentelemetry.sdk.trace.export import SpanExportResult

            ok = self._exporter.export(batch) == SpanExportResult.SUCCESS
            error = None if ok else QUIET.last.pop(threading.get_ident(), "export failed")
        except Exception as exc:  # an exporter must not raise, but one did
            ok, error = False, f"{type(exc).__name__}: {exc}"
        if ok:
            COUNTERS.add(exported=len(batch))
            if self._failing:
                logger.warning("spanwise: exporting spans to %s works again", self._endpoint)
                _WARNED.discard("queue_full")
            self._failing, self._pause = False, 0.0
            return True
        COUNTERS.add(failed=len(batch))
        if not self._failing and not self._stopping:
            logger.warning(
                "spanwise: cannot export spans to %s (%s). Spanwise keeps retrying in the "
                "background; the application is not affected. Up to %d spans are queued, "
                "more are dropped; see spanwise.stats(). Logged once per outage.",
                self._endpoint,
                error,
                self._max_queue,
            )
        self._failing = True
        self._pause = min(_MAX_PAUSE_S, max(1.0, self._pause * 2)) * random.uniform(0.8, 1.2)
        return False


_WARNED: set[str] = set()


def _warn_once(key: str, message: str, *args: Any) -> None:
    if key in _WARNED:
        return
    _WARNED.add(key)
    logger.warning(message, *args)


def stats(queue: ExportQueue | None) -> SpanStats:
    with COUNTERS.lock:
        return SpanStats(
            exported=COUNTERS.exported,
            dropped=COUNTERS.dropped,
            failed=COUNTERS.failed,
            queued=queue.queued if queue is not None else 0,
        )
