"""Row versions for the tables that keep a snapshot per change (ReplacingMergeTree by
version): nanoseconds since the epoch, strictly increasing within the process."""

from __future__ import annotations

import threading
import time

__all__ = ["next_version"]

_lock = threading.Lock()
_last = 0


def next_version(previous: int = 0) -> int:
    """A version above ``previous`` and above every version this process gave before, so
    two changes of one row, or rows added in one request, are ordered as they were made."""
    global _last
    with _lock:
        _last = max(time.time_ns(), previous + 1, _last + 1)
        return _last
