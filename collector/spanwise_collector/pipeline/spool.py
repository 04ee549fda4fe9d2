"""A bounded on-disk spool for batches the store could not take.

While the store is down (remote ClickHouse unreachable, disk full, chDB error)
batches are written here — one Arrow IPC file each, fsynced before the request
is acknowledged — and replayed oldest first when the store is back. Past
``max_bytes`` the spool refuses (``SpoolFull``) so senders back off instead of
the collector growing without bound. Files left by a crashed collector are
replayed after restart; replay is idempotent (see dedup.py).
"""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path
from typing import Any

SUFFIX = ".arrow"


class SpoolFull(RuntimeError):
    """The store is down and the spool reached its size limit."""


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
        last = int(self._files[-1].stem) if self._files else 0
        self._seq = itertools.count(last + 1)

    def __len__(self) -> int:
        return len(self._files)

    @property
    def bytes(self) -> int:
        return self._bytes

    def append(self, table: Any) -> None:
        """Write ``table`` durably; raises ``SpoolFull`` past the limit."""
        import pyarrow as pa

        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        data = sink.getvalue()
        with self._lock:
            if self._bytes + data.size > self.max_bytes:
                raise SpoolFull(
                    f"the store is unavailable and the spool at {self.directory} is full "
                    f"({self._bytes} of {self.max_bytes} bytes); retry later"
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

    def oldest(self) -> tuple[Path, Any] | None:
        import pyarrow as pa

        with self._lock:
            if not self._files:
                return None
            path = self._files[0]
        with pa.memory_map(str(path)) as source:
            return path, pa.ipc.open_stream(source).read_all()

    def remove(self, path: Path) -> None:
        with self._lock:
            size = path.stat().st_size
            path.unlink()
            self._files.remove(path)
            self._bytes -= size


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
