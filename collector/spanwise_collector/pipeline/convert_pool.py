"""OTLP request bytes → Arrow tables, decoded in worker processes.

Decoding OTLP in Python (`convert`) is the collector's largest cost: ~30 µs per span,
every microsecond of it holding the GIL that the receivers, the pricing stage and the
writer thread also need. Under load the collector used ~1.4 of 2 cores, capped by that
one GIL (docs/ingest-performance.md, session 5). Worker processes have their own: the
collector process keeps receiving, pricing and inserting while they decode, and on a
bigger machine more workers decode more.

Workers are spawned (never forked: the collector runs the chDB engine and gRPC threads)
and import only the decoder — no store, no pricing tables. They start in the background
on first use; until they are up, and whenever a worker dies, requests are decoded in
the collector process as before, so nothing waits on them and nothing is lost.

Requests travel to the workers, and their tables back, through reused shared-memory
buffers (`shared_slots`), not the executor's pipes: ~0.9 instead of 2–5 µs per span.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .convert import convert
from .shared_slots import SharedSlots, attach, write_back

__all__ = ["ConvertPool", "convert_bytes", "decode", "default_workers"]

logger = logging.getLogger("spanwise.collector")


def decode(data: bytes, encoding: str = "protobuf") -> Any:
    """An OTLP request body (``protobuf`` or ``json``) → ``ExportTraceServiceRequest``."""
    if encoding == "json":
        from ..receiver.otlp_json import decode_json

        return decode_json(data)
    from ..receiver.decode import parse_request

    return parse_request(data)


def convert_bytes(data: bytes, project: str, encoding: str = "protobuf") -> Any:
    """One OTLP request body → its Arrow table (raises InvalidSpans)."""
    return convert(decode(data, encoding), default_project=project).to_arrow()


def _stream(table: Any) -> Any:
    """A table as one Arrow IPC stream: pickling a table costs ~1.4 µs/span to write and
    ~0.8 to read (in the collector, under its GIL); the IPC stream ~0.25 and ~0.1 (read
    without copying)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _convert_in_worker(data: bytes, project: str, encoding: str = "protobuf") -> bytes:
    """`convert_bytes`, its table sent back through the executor's pipe."""
    return _stream(convert_bytes(data, project, encoding)).to_pybytes()


def _convert_shared(name: str, size: int, project: str, encoding: str) -> int | bytes:
    """`convert_bytes` over the collector's shared buffer ``name``: the request is read
    from it and the table's stream written back into it (its size is returned), or
    returned as bytes when it does not fit."""
    slot = attach(name)
    data = bytes(slot.buf[:size])
    return write_back(slot, _stream(convert_bytes(data, project, encoding)))


def _read_table(stream: bytes) -> Any:
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(stream)).read_all()


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit when the collector is gone. A SIGKILLed collector gives
    its workers no signal, and they would wait for work forever; checking once a second
    costs ~50 µs of CPU."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="spanwise-parent-watch", daemon=True).start()


def _warm() -> int:
    """Imported and first-called in each worker before it takes requests."""
    _convert_in_worker(b"", "default")
    return os.getpid()


def default_workers() -> int:
    """One per core beyond the collector's own, up to 4; none on a single core. Cores are
    the CPUs this process may run on, capped by a cgroup v2 CPU quota (containers)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_cpus()
    if quota is not None:
        cores = min(cores, max(1, int(quota)))
    return max(0, min(cores - 1, 4))


def _cgroup_cpus(path: str = "/sys/fs/cgroup/cpu.max") -> float | None:
    """CPUs allowed by the cgroup v2 quota ("max 100000": none set)."""
    try:
        with open(path) as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        return None


class ConvertPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._starting = False
        self._closed = False
        self.ready = threading.Event()
        self.stats = {"converted": 0, "fallbacks": 0, "restarts": 0}
        self._slots = SharedSlots()

    def start(self) -> None:
        """Spawn the workers in the background (returns at once)."""
        with self._lock:
            if self._starting or self._closed or self.workers <= 0:
                return
            self._starting = True
        threading.Thread(target=self._spawn, name="spanwise-convert-pool", daemon=True).start()

    def _spawn(self) -> None:
        executor: ProcessPoolExecutor | None = None
        try:
            executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_watch_parent, initargs=(os.getpid(),),
            )  # fmt: skip
            for f in [executor.submit(_warm) for _ in range(self.workers)]:
                f.result(timeout=120)
        except Exception as exc:  # the collector works without workers, only slower
            logger.warning("conversion workers did not start, decoding in-process: %s", exc)
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
            with self._lock:
                self._closed = True  # don't try again on every request
            return
        with self._lock:
            if self._closed:
                executor.shutdown(wait=False, cancel_futures=True)
                return
            self._executor = executor
            self._starting = False
        self.ready.set()
        logger.info("%d conversion worker process(es) decoding OTLP requests", self.workers)

    def convert(self, data: bytes, project: str, encoding: str = "protobuf") -> Any:
        """`convert_bytes` in a worker (its errors, e.g. InvalidSpans, raise here); None
        when no worker can take the request: decode it in-process."""
        table = self._in_worker(data, project, encoding)
        self.stats["fallbacks" if table is None else "converted"] += 1
        return table

    def _in_worker(self, data: bytes, project: str, encoding: str) -> Any:
        executor = self._executor
        if executor is None:
            return None
        slot = self._slots.take(len(data))
        try:
            stream = self._run(executor, slot, data, project, encoding)
            if isinstance(stream, int):  # written into the shared buffer
                assert slot is not None
                stream = bytes(slot.buf[:stream])
        finally:
            if slot is not None:
                self._slots.give(slot)
        return None if stream is None else _read_table(stream)

    def _run(
        self, executor: ProcessPoolExecutor, slot: Any, data: bytes, project: str, encoding: str
    ) -> int | bytes | None:
        """The worker's answer (see `_convert_shared`); None when it cannot answer."""
        try:
            if slot is None:
                future = executor.submit(_convert_in_worker, data, project, encoding)
            else:
                slot.buf[: len(data)] = data
                future = executor.submit(_convert_shared, slot.name, len(data), project, encoding)
        except (BrokenProcessPool, RuntimeError):  # broken, or shut down meanwhile
            self.broken(executor)
            return None
        try:
            return future.result()
        except BrokenProcessPool:
            self.broken(executor)
            return None
        except CancelledError:  # closed while waiting
            return None

    def broken(self, executor: ProcessPoolExecutor) -> None:
        """A worker of ``executor`` died (killed, out of memory): start fresh ones in the
        background."""
        with self._lock:
            if executor is not self._executor:
                return  # already replaced
            old, self._executor = self._executor, None
            self.ready.clear()
            self.stats["restarts"] += 1
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        logger.warning("a conversion worker stopped; decoding in-process until it is replaced")
        self.start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        self.ready.clear()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        self._slots.close()
