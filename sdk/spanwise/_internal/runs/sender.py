"""Run events leave the process in batches, from a background thread, over gRPC.

``log_metric`` only appends a tuple to a bounded deque (no protobuf, no lock, no
I/O): microseconds. The sender thread wakes every ``DELAY`` seconds (or when a
batch is full), turns tuples into ``RunEvent`` messages and calls
``RunService.LogBatch`` on the collector's gRPC endpoint (the one spans use).
Every event has a client-generated id, so a batch is retried whole after a
transient failure without duplicating anything. A dead collector costs at most
``MAX_QUEUE`` events of memory and a warning; events beyond that are dropped.
While the collector keeps up, a full queue makes the logging thread wait for room
(``max_block_ms`` per stall, as spans do) instead: a tight training loop outruns
the sender thread, which shares the GIL with it, and lost part of its history.
``flush()`` puts a marker in the queue and waits until the thread reaches it.
"""

from __future__ import annotations

import atexit
import collections
import logging
import os
import threading
import time
from typing import Any

from ..config import project_metadata
from ..provider import STATE, exit_time_left
from ..text import replace_lone_surrogates

logger = logging.getLogger("spanwise")

__all__ = ["SENDER", "RunEventSender"]

MAX_QUEUE = 100_000
BATCH_SIZE = 2_000
DELAY = 0.5
# Seconds a batch is retried before it is dropped, unless the collector cannot be
# reached at all: then it waits for it (see _send).
RETRY_FOR = 30.0
_RETRYABLE = ("UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED", "INTERNAL",
              "UNKNOWN")  # fmt: skip


class _Marker:
    """A flush request travelling through the queue behind the events it waits for."""

    __slots__ = ("done", "ok")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = True


class RunEventSender:
    def __init__(self) -> None:
        self._queue: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._channel_key: tuple[Any, ...] | None = None
        self._channel: Any = None
        self._stub: Any = None
        self._pb: Any = None
        self._dropped = 0
        self._failed_since_marker = False
        self._draining = False  # the thread holds events taken off the queue
        self._unreachable = False  # warned that the collector cannot be reached
        self._failing = False  # the batch being sent has failed: no waiting for room
        self._room = threading.Condition(threading.Lock())
        self._block_until = 0.0  # a producer waits for room until then (see _wait_for_room)

    # -- producer side (user threads) --------------------------------------------------
    def put(self, event: tuple[Any, ...]) -> None:
        queue = self._queue
        if len(queue) >= MAX_QUEUE and not self._wait_for_room():
            self._dropped += 1
            self._failed_since_marker = True  # the next flush() must not report success
            if self._dropped == 1 or self._dropped % 10_000 == 0:
                logger.warning("spanwise: run event queue full (collector unreachable?); "
                               "%d events dropped", self._dropped)  # fmt: skip
            return
        queue.append(event)
        if self._thread is None:
            self._start()
        elif len(queue) >= BATCH_SIZE and not self._wake.is_set():
            self._wake.set()

    def _wait_for_room(self) -> bool:
        """The queue is full: wait while the sender is taking batches, at most
        ``max_block_ms`` per stall; ``False`` (drop) at once when sending is failing."""
        max_block = STATE.settings.max_block_ms / 1000
        if max_block <= 0 or self._failing or threading.current_thread() is self._thread:
            return False
        if self._thread is None:
            self._start()
        with self._room:
            self._wake.set()
            while len(self._queue) >= MAX_QUEUE:
                now = time.monotonic()
                if not self._block_until:  # the first wait since a batch was sent
                    self._block_until = now + max_block
                remaining = self._block_until - now
                if remaining <= 0 or self._failing:
                    return False
                self._room.wait(remaining)
        return True

    def _made_room(self, sent: bool) -> None:
        """Wake waiting producers: a batch left the queue (``sent``: and was delivered,
        so the sender is not stalled and the next wait gets the whole budget)."""
        with self._room:
            if sent:
                self._block_until = 0.0
            self._room.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Deliver everything queued so far; ``False`` on timeout or if a batch was dropped."""
        if self._thread is None and not self._queue:
            return True
        marker = _Marker()
        self._queue.append(marker)
        if self._thread is None:
            self._start()
        self._wake.set()
        return marker.done.wait(timeout) and marker.ok

    def deliver_pending(self, timeout: float) -> bool:
        """``flush`` when events are queued or being sent, else return at once: reads
        through ``spanwise.Client`` call it so that a run this process just logged is
        found, as with MLflow's synchronous logging."""
        if not self._queue and not self._draining:
            return True
        return self.flush(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            thread = threading.Thread(target=self._run, name="spanwise-runs", daemon=True)
            self._thread = thread
            thread.start()
            if not _EXIT_REGISTERED:  # atexit hooks survive fork(): once per program
                _EXIT_REGISTERED.append(True)
                atexit.register(self._at_exit)
                from .. import child_exit

                child_exit.register(self._at_exit)  # forked multiprocessing children

    def after_fork_in_child(self) -> None:
        """The child of ``os.fork()`` gets no thread and a gRPC channel it must not reuse:
        start afresh. The parent's queued events are the parent's to send (its copy of
        the queue is dropped here; event ids make any overlap harmless anyway)."""
        self._queue = collections.deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread = None
        self._channel_key = None
        self._channel = None
        self._stub = None
        self._dropped = 0
        self._failed_since_marker = False
        self._draining = False
        self._unreachable = False
        self._failing = False
        self._room = threading.Condition(threading.Lock())
        self._block_until = 0.0

    def _at_exit(self) -> None:
        # One wait, within the exit budget spans share (a dead collector must not hold
        # the program's exit for longer than ``shutdown_timeout_ms``).
        try:
            for hook in EXIT_HOOKS:
                hook()
            if not self.flush(timeout=exit_time_left()):
                logger.warning("spanwise: not every run event reached the collector before exit")
        except Exception:
            logger.debug("spanwise: flushing run events at exit failed", exc_info=True)

    # -- the sender thread -------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wake.wait(DELAY)
            self._wake.clear()
            self._draining = True  # before the first pop: see deliver_pending
            try:
                self._drain()
            except Exception:
                logger.warning("spanwise: sending run events failed", exc_info=True)
            finally:
                self._draining = False

    def _drain(self) -> None:
        batch: list[tuple[Any, ...]] = []
        while True:
            try:
                item = self._queue.popleft()
            except IndexError:
                break
            if isinstance(item, _Marker):
                if batch:
                    self._send_batch(batch)
                    batch = []
                item.ok = not self._failed_since_marker
                self._failed_since_marker = False
                item.done.set()
                continue
            batch.append(item)
            if len(batch) >= BATCH_SIZE:
                self._send_batch(batch)
                batch = []
        if batch:
            self._send_batch(batch)

    def _send_batch(self, batch: list[tuple[Any, ...]]) -> None:
        self._made_room(sent=False)  # the batch is off the queue: producers may go on
        self._send(batch)
        self._made_room(sent=not self._failing)

    def _send(self, batch: list[tuple[Any, ...]]) -> None:
        try:
            stub, metadata, timeout = self._connect()
            request = self._pb.LogBatchRequest(events=[self._message(e) for e in batch])
        except Exception:
            self._failed_since_marker = True
            logger.warning("spanwise: cannot send %d run events", len(batch), exc_info=True)
            return
        deadline = time.monotonic() + RETRY_FOR
        backoff = 0.1
        connected = False  # the last attempt was made on a channel known to connect
        while True:
            try:
                stub.LogBatch(request, metadata=metadata, timeout=timeout)
                self._failing = False
                if self._unreachable:
                    self._unreachable = False
                    logger.warning("spanwise: run events reach the collector again")
                return
            except Exception as exc:
                code, detail = _status(exc)
                if code not in _RETRYABLE:
                    self._drop(batch, code, detail)
                    return
                if not self._failing:  # producers now drop instead of waiting for room
                    self._failing = True
                    self._made_room(sent=False)
                pause = backoff
                if time.monotonic() + backoff > deadline:
                    reachable = self._reachable()
                    if reachable and connected:
                        self._drop(batch, code, detail)  # it answers, but keeps failing
                        return
                    connected = reachable
                    if reachable:  # it may just have come up: once more, at once
                        pause = 0.0
                    else:
                        # Not reached: nothing of it was taken. An experiment, a run's
                        # start and its params are sent once; the bounded queue holds the rest.
                        self._warn_unreachable(len(batch), code, detail)
                time.sleep(pause)
                backoff = min(backoff * 2, 2.0)
            try:  # pick up configure(endpoint=...) made meanwhile
                stub, metadata, timeout = self._connect()
            except Exception:
                self._drop(batch, "", "cannot connect")
                return

    def _drop(self, batch: list[tuple[Any, ...]], code: str, detail: str) -> None:
        self._failed_since_marker = True
        logger.warning("spanwise: dropped %d run events: %s %s", len(batch), code, detail)

    def _reachable(self) -> bool:
        """Whether the gRPC channel connects to the collector within a second."""
        import grpc

        try:
            grpc.channel_ready_future(self._channel).result(timeout=1.0)
        except Exception:
            return False
        return True

    def _warn_unreachable(self, count: int, code: str, detail: str) -> None:
        if self._unreachable:
            return
        self._unreachable = True
        logger.warning(
            "spanwise: cannot reach the collector at %s (%s %s); %d run events are kept "
            "and retried until it is back (at most %d queued, more are dropped)",
            self._channel_key[0] if self._channel_key else "?", code, detail, count, MAX_QUEUE,
        )  # fmt: skip

    def _connect(self) -> tuple[Any, list[tuple[str, str]], float]:
        settings = STATE.settings
        metadata: list[tuple[str, Any]] = [project_metadata(settings.project)]
        if settings.api_key:
            metadata.append(("authorization", f"Bearer {settings.api_key}"))
        metadata.extend(settings.extra_headers)
        key = (settings.grpc_target, settings.insecure)
        if key != self._channel_key:
            import grpc

            from ..._proto.runs.v1 import runs_pb2, runs_pb2_grpc

            if self._channel is not None:
                self._channel.close()
            options = [("grpc.max_send_message_length", 32 * 1024 * 1024)]
            if settings.insecure:
                channel = grpc.insecure_channel(settings.grpc_target, options=options)
            else:
                creds = grpc.ssl_channel_credentials()
                channel = grpc.secure_channel(settings.grpc_target, creds, options=options)
            self._pb = runs_pb2
            self._channel, self._channel_key = channel, key
            self._stub = runs_pb2_grpc.RunServiceStub(channel)
        return self._stub, metadata, settings.export_timeout_ms / 1000

    def _message(self, event: tuple[Any, ...]) -> Any:
        try:
            return self._build(event)
        except UnicodeEncodeError:  # lone surrogates: sent as U+FFFD, not losing the batch
            return self._build(replace_lone_surrogates(event))

    def _build(self, event: tuple[Any, ...]) -> Any:
        pb = self._pb
        kind, event_id = event[0], event[1]
        if kind == "metric":
            _, _, run_id, key, value, step, ts = event
            return pb.RunEvent(event_id=event_id, metric=pb.Metric(
                run_id=run_id, key=key, value=value, step=step, timestamp_ms=ts))  # fmt: skip
        if kind == "param":
            _, _, run_id, key, value = event
            return pb.RunEvent(event_id=event_id, param=pb.Param(run_id=run_id, key=key,
                                                                 value=value))  # fmt: skip
        if kind == "tag":
            _, _, run_id, key, value, version = event
            return pb.RunEvent(event_id=event_id, tag=pb.Tag(
                run_id=run_id, key=key, value=value, version=version))  # fmt: skip
        if kind == "run":
            return pb.RunEvent(event_id=event_id, run_update=pb.RunUpdate(**event[2]))
        if kind == "experiment":
            return pb.RunEvent(event_id=event_id, create_experiment=pb.CreateExperiment(**event[2]))
        raise ValueError(f"unknown run event kind {kind!r}")


def _status(exc: Exception) -> tuple[str, str]:
    """(status code name, message) of a grpc.RpcError; ("", str) for anything else."""
    try:
        return exc.code().name, exc.details()  # type: ignore[attr-defined]
    except Exception:
        return "", str(exc)


# Run at exit before the last flush, e.g. ending the runs still open (fluent.py).
EXIT_HOOKS: list[Any] = []
_EXIT_REGISTERED: list[bool] = []
SENDER = RunEventSender()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: SENDER.after_fork_in_child())
