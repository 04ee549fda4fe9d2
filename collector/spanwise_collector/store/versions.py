"""Row versions for the tables that keep a snapshot per change (ReplacingMergeTree by
version): nanoseconds since the epoch, strictly increasing within the process; and the
epoch integers those tables' readers use, back into the times their inserts take."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

__all__ = ["next_version", "utc"]

_lock = threading.Lock()
_last = 0


def next_version(previous: int = 0) -> int:
    """A version above ``previous`` and above every version this process gave before, so
    two changes of one row, or rows added in one request, are ordered as they were made."""
    global _last
    with _lock:
        _last = max(time.time_ns(), previous + 1, _last + 1)
        return _last


def utc(epoch: int, digits: int = 3) -> datetime:
    """Epoch milliseconds (``digits`` 3) or nanoseconds (9) as an aware UTC datetime,
    whatever the engine's or the machine's zone."""
    return datetime.fromtimestamp(epoch / 10**digits, tz=timezone.utc)
