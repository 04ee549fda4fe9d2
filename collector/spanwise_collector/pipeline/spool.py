"""A bounded on-disk spool: every acknowledged batch until it is in the store.

Each request's batch is written here — one Arrow IPC file, fsynced — before the request
is acknowledged (the write-ahead log of the ingest path). A batch the writer still holds
in memory is *held*: the writer inserts it from memory and then removes its file. When
the store cannot take it for now (ClickHouse unreachable, overloaded, disk full) the
writer releases it, and released files are replayed oldest first when the store is back.
Past ``max_bytes`` the spool refuses (``SpoolFull``) so senders back off instead of the
collector growing without bound. Files left by a crashed collector are replayed after
restart; replay is idempotent (see dedup.py). A batch the store rejects for good (its own
data; store/errors.py), or that cannot fit the table or fails every time (pipeline.py), is
moved to ``rejected/`` (kept, never replayed).
"""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path
from typing import Any

SUFFIX = ".arrow"
REJECTED = "rejected"  # batches set aside: kept, never replayed, never deleted


class SpoolFull(RuntimeError):
    """The store is down and the spool reached its size limit."""


class SpoolDamaged(RuntimeError):
    """A spool file cannot be read back (damaged on disk)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path


class Spool:
    def __init__(self, directory: str | os.PathLike[str], max_bytes: int) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        for tmp in self.directory.glob("*.tmp"):
            tmp.unlink(missing_ok=True)  # half-written by a crash: never acknowledged
        self._files = sorted(self.directory.glob(f"*{SUFFIX}"))
        self._bytes = sum(f.stat().st_size for f in self._files)
        # Files named otherwise (a set-aside batch moved back under another name) are
        # replayed too; only the spool's own numbers go on counting, past the set-aside
        # ones too: restarting at 1 over an empty spool, the next batch set aside took
        # the name of an earlier one in rejected/ and replaced it.
        numbered = [*self._files, *(self.directory / REJECTED).glob(f"*{SUFFIX}")]
        last = max((int(f.stem) for f in numbered if f.stem.isdigit()), default=0)
        self._seq = itertools.count(last + 1)
        self._held: set[Path] = set()  # in the writer's memory, not to be replayed

    def __len__(self) -> int:
        """Batches waiting to be replayed from disk (not held by the writer)."""
        with self._lock:
            return len(self._files) - len(self._held)

    @property
    def bytes(self) -> int:
        return self._bytes

    def append(self, table: Any, held: bool = False) -> Path:
        """Write ``table`` durably; raises ``SpoolFull`` past the limit. ``held``: the
        caller keeps the table and will `remove` or `release` the file."""
        import pyarrow as pa

        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        data = sink.getvalue()
        with self._lock:
            # One batch is always taken into an empty spool (as the in-flight limit does):
            # a request bigger than --spool-max-bytes was refused at every retry, with the
            # store up. The store is not named as down: held batches count too.
            if self._files and self._bytes + data.size > self.max_bytes:
                raise SpoolFull(
                    f"the spool at {self.directory} is full ({self._bytes} of "
                    f"{self.max_bytes} bytes of acknowledged batches not yet in the store, "
                    f"this one {data.size}); retry later"
                )
            path = self.directory / f"{next(self._seq):020d}{SUFFIX}"
            tmp = path.with_suffix(".tmp")
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            _fsync_dir(self.directory)
            self._files.append(path)
            self._bytes += data.size
            if held:
                self._held.add(path)
        return path

    def oldest(self) -> tuple[Path, Any] | None:
        import pyarrow as pa

        with self._lock:
            path = next((f for f in self._files if f not in self._held), None)
            if path is None:
                return None
        try:
            with pa.memory_map(str(path)) as source:
                return path, pa.ipc.open_stream(source).read_all()
        except (OSError, pa.ArrowException) as exc:
            raise SpoolDamaged(path, str(exc)) from exc

    def remove(self, path: Path) -> None:
        """The batch is in the store: forget it."""
        with self._lock:
            size = path.stat().st_size
            path.unlink()
            self._files.remove(path)
            self._held.discard(path)
            self._bytes -= size

    def release(self, paths: list[Path]) -> None:
        """The writer could not insert these held batches: replay them from disk."""
        with self._lock:
            self._held.difference_update(paths)

    def reject(self, path: Path) -> Path:
        """The store refuses this batch for good: keep it aside, never replay it."""
        rejected = self.directory / REJECTED
        rejected.mkdir(exist_ok=True)
        with self._lock:
            size = path.stat().st_size
            target = rejected / path.name
            for n in itertools.count(1):  # never over a batch set aside before
                if not target.exists():
                    break
                target = rejected / f"{path.stem}-{n}{SUFFIX}"
            os.replace(path, target)
            self._files.remove(path)
            self._held.discard(path)
            self._bytes -= size
        return target


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
