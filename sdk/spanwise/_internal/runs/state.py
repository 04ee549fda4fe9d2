"""The active runs: a contextvar stack (like the current span), plus what this process logged.

The stack is a contextvar, not a thread-local: asyncio tasks and
``contextvars.copy_context()`` see the run that was active where they started,
exactly as they see the current span; a bare new thread starts with no run.
"""

from __future__ import annotations

import contextvars
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .types import RunData, RunInfo

__all__ = ["ACTIVE", "ENDED", "LIVE", "ActiveRun", "RunState", "current", "remember_ended"]


@dataclass(eq=False)
class RunState:
    """Mutable, process-local state of a run this process started."""

    run_id: str
    experiment_id: str
    run_name: str
    start_time: int
    parent_run_id: str = ""
    status: str = "RUNNING"
    end_time: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    # key -> (value, step, timestamp) of the latest point (highest step, then timestamp)
    metrics: dict[str, tuple[float, int, int]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self, version: int) -> dict[str, Any]:
        """The RunUpdate fields: every update carries the whole run (see runs.proto)."""
        return {
            "run_id": self.run_id,
            "experiment_id": self.experiment_id,
            "run_name": self.run_name,
            "status": self.status,
            "start_time_ms": self.start_time,
            "end_time_ms": self.end_time or 0,
            "parent_run_id": self.parent_run_id,
            "version": version,
        }


ACTIVE: contextvars.ContextVar[tuple[RunState, ...]] = contextvars.ContextVar(
    "spanwise_active_runs", default=()
)
# Runs started and not ended yet, in any context: ended at process exit.
LIVE: dict[str, RunState] = {}
# The latest runs this process ended, oldest first: ``run_id=`` may still log to them
# (as MLflow allows). Bounded, so that a sweep of many runs does not keep them all.
ENDED: OrderedDict[str, RunState] = OrderedDict()
MAX_ENDED = 1000


def remember_ended(state: RunState) -> None:
    ENDED[state.run_id] = state
    while len(ENDED) > MAX_ENDED:
        ENDED.popitem(last=False)


def current() -> RunState | None:
    stack = ACTIVE.get()
    return stack[-1] if stack else None


class ActiveRun:
    """What ``start_run`` returns; a context manager that ends the run on exit.

    ``info`` and ``data`` are snapshots of what this process knows (``data``
    holds what it logged), shaped like ``spanwise.Client().get_run(...)``.
    """

    def __init__(self, state: RunState) -> None:
        self._state = state

    @property
    def run_id(self) -> str:
        return self._state.run_id

    @property
    def info(self) -> RunInfo:
        s = self._state
        return RunInfo(s.run_id, s.experiment_id, s.run_name, s.status, s.start_time,
                       s.end_time, s.parent_run_id or None)  # fmt: skip

    @property
    def data(self) -> RunData:
        s = self._state
        with s.lock:
            return RunData(dict(s.params), {k: v[0] for k, v in s.metrics.items()}, dict(s.tags))

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        from .fluent import _end

        if exc_type is None:
            status = "FINISHED"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "KILLED"
        else:
            status = "FAILED"
        _end(self._state, status)

    def __repr__(self) -> str:
        return f"<ActiveRun run_id={self.run_id} status={self._state.status}>"
