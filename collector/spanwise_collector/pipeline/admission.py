"""Backpressure: a limit on request bytes in flight (received, not yet in the store).

Over the limit a request is refused with a retryable code (gRPC
RESOURCE_EXHAUSTED with RetryInfo, HTTP 429 with Retry-After) instead of
queueing in memory. One request is always admitted when nothing is in flight,
so a single large (but size-limited) request cannot starve.
"""

from __future__ import annotations

import threading


class Overloaded(RuntimeError):
    """Too much data in flight; the sender should retry after a pause."""


class InflightLimiter:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.inflight = 0
        self._lock = threading.Lock()

    def acquire(self, size: int) -> None:
        with self._lock:
            if self.inflight and self.inflight + size > self.max_bytes:
                raise Overloaded(
                    f"the collector has {self.inflight} bytes in flight (limit "
                    f"{self.max_bytes}); retry later"
                )
            self.inflight += size

    def release(self, size: int) -> None:
        with self._lock:
            self.inflight -= size
