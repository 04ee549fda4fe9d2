"""Ending a top-level run whose asyncio task finished without LangChain ending it.

langchain-core's async chat model call reports nothing when the task awaiting it is
cancelled (``asyncio.wait_for`` timing out around ``model.ainvoke``): the run would stay
open, its span never exported (an OpenAI client span under it left without its parent)
and kept in memory; tools and retrievers let a cancellation through the same way. So a
top-level model, tool or retriever run started in a task is ended, as cancelled, when
that task ends cancelled (or with the timeout a cancellation became) and the run is
still open; the watch is removed when the run ends, so a long-lived task does not
collect callbacks. (Not chains: they report a cancellation themselves, and ``abatch``
starts them in helper tasks that end at once.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from uuid import UUID

_TIMEOUTS = (TimeoutError, asyncio.TimeoutError)  # one class from Python 3.11 on


def watch_task(run_id: UUID, on_done: Callable[[UUID], None]) -> Callable[[], None] | None:
    """Call ``on_done(run_id)`` when the current task ends cancelled or timed out; return
    the un-watch function, or ``None`` outside a task (sync code, another thread)."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no event loop running in this thread
        return None
    if task is None:
        return None

    def done(finished: asyncio.Task[object]) -> None:
        # Only a cancellation (or the timeout it became) loses the run's end: a stream
        # left unfinished by a task that ended normally is closed by its finalizer later.
        if finished.cancelled() or isinstance(finished.exception(), _TIMEOUTS):
            on_done(run_id)

    task.add_done_callback(done)
    return lambda: task.remove_done_callback(done)
