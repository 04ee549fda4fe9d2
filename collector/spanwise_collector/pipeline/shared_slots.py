"""Shared-memory buffers that carry requests to the conversion workers and their tables back.

Through `ProcessPoolExecutor`'s pipes, a ~1.1 MB request and its Arrow table cost
~2–5 µs of CPU per span between the two processes (pickling, 64 KB pipe writes, the
reader's chunked copies); copied into a buffer both processes map, ~0.9
(docs/ingest-performance.md, session 7). One buffer per request in flight, reused.

Buffers are created (and unlinked) by the collector only; workers attach by name. Python
registers each one with the resource tracker that the collector and its spawned workers
share, so a collector that dies without closing still has them unlinked. A request
larger than `MAX_SLOT_BYTES`, or a buffer the system cannot back (a full ``/dev/shm``),
goes through the pipes as before.
"""

from __future__ import annotations

import itertools
import os
import threading
from multiprocessing import shared_memory
from typing import Any

__all__ = ["MAX_SLOT_BYTES", "SharedSlots", "attach", "write_back"]

MAX_SLOT_BYTES = 64 * 1024 * 1024
_MIN_SLOT_BYTES = 4 * 1024 * 1024
_WORKER_ATTACHED_MAX = 16


class SharedSlots:
    """Free buffers, handed out one per request; thread-safe."""

    def __init__(self, max_slot_bytes: int = MAX_SLOT_BYTES) -> None:
        self._max = max_slot_bytes
        self._free: list[shared_memory.SharedMemory] = []
        self.count = 0  # buffers that exist, free or in use
        self._lock = threading.Lock()
        self._names = itertools.count()
        self._closed = False

    def take(self, size: int) -> shared_memory.SharedMemory | None:
        """A buffer of at least ``size`` bytes, or None: send this request by pipe."""
        if size > self._max:
            return None
        with self._lock:
            if self._closed:
                return None
            fits = [s for s in self._free if s.size >= size]
            if fits:
                slot = min(fits, key=lambda s: s.size)
                self._free.remove(slot)
                return slot
            if self._free:  # none big enough: replace the smallest free one
                self._drop(min(self._free, key=lambda s: s.size))
            name = f"sw{os.getpid()}x{next(self._names)}"  # short: macOS allows 31 chars
        slot = _create(name, min(self._max, max(_MIN_SLOT_BYTES, 2 * size)))
        if slot is not None:
            with self._lock:
                self.count += 1
        return slot

    def give(self, slot: shared_memory.SharedMemory) -> None:
        with self._lock:
            if not self._closed:
                self._free.append(slot)
                return
            self.count -= 1
        _release(slot)

    def _drop(self, slot: shared_memory.SharedMemory) -> None:
        self._free.remove(slot)
        self.count -= 1
        _release(slot)

    def close(self) -> None:
        """Unlink the free buffers now, the ones in use when they are given back."""
        with self._lock:
            self._closed = True
            slots, self._free = self._free, []
            self.count -= len(slots)
        for slot in slots:
            _release(slot)


def _create(name: str, size: int) -> shared_memory.SharedMemory | None:
    try:
        slot = shared_memory.SharedMemory(name=name, create=True, size=size)
    except OSError:
        return None
    fd = getattr(slot, "_fd", -1)
    if hasattr(os, "posix_fallocate") and fd >= 0:
        # Reserve the pages now: a tmpfs that fills up later would kill the process with
        # SIGBUS on the first write into an unbacked page, instead of an error here.
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError:
            _release(slot)
            return None
    return slot


def _release(slot: shared_memory.SharedMemory) -> None:
    try:
        slot.close()
    finally:
        try:
            slot.unlink()
        except FileNotFoundError:
            pass


# -- worker side ------------------------------------------------------------------------

_ATTACHED: dict[str, shared_memory.SharedMemory] = {}


def attach(name: str) -> shared_memory.SharedMemory:
    """The collector's buffer ``name``, mapped once per worker (a few are kept)."""
    slot = _ATTACHED.get(name)
    if slot is None:
        if len(_ATTACHED) >= _WORKER_ATTACHED_MAX:  # buffers the collector replaced
            for old in list(_ATTACHED.values()):
                old.close()
            _ATTACHED.clear()
        slot = _ATTACHED[name] = shared_memory.SharedMemory(name=name)
    return slot


def write_back(slot: shared_memory.SharedMemory, data: Any) -> int | bytes:
    """``data`` (a buffer) into ``slot``: its size, or the bytes themselves if too big."""
    view = memoryview(data).cast("B")  # Arrow buffers export signed bytes ("b")
    n = view.nbytes
    if n > slot.size:
        return view.tobytes()
    slot.buf[:n] = view
    return n
