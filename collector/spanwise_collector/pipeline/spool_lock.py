"""One collector per spool directory.

A spool is one collector's write-ahead log: at start it replays (and deletes) every
file it finds, and it names new files from its own counter. Two collectors on one
directory replay and delete each other's acknowledged batches and write over each
other's files: acknowledged spans were lost. A chDB store's directory is locked by
chDB, but the spool may be elsewhere (``--spool-dir``), and with a ClickHouse server
two collectors started in one directory share the default spool. So a collector holds
an exclusive lock on its spool while it runs; the kernel drops it if the process dies.
"""

from __future__ import annotations

import os
from pathlib import Path

LOCK_NAME = ".lock"


class SpoolLock:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Make the directory and lock it; ``OSError`` with a message naming
        ``--spool-dir`` when it cannot be used or another collector holds it."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OSError(
                f"cannot use the spool directory {self.directory}: {exc.strerror or exc}. "
                "Pass a directory you can write to with --spool-dir."
            ) from exc
        try:
            import fcntl
        except ImportError:  # no flock (Windows): run unguarded, as before
            self._fd = fd
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise OSError(
                f"the spool directory {self.directory} is in use by another collector "
                f"(pid {holder}); two collectors on one spool delete each other's "
                "acknowledged batches. Give each collector its own --spool-dir."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None
