"""The active run outlives an IPython/Jupyter cell that awaits.

Active runs live in a contextvar (``state.ACTIVE``). IPython runs a cell that uses
top-level ``await`` in a copy of the context (an asyncio task), and its cell hooks
outside it, so a run started (or ended) in such a cell was forgotten by the next one:
``log_metric`` there logged to a new run. In an IPython session the main thread's last
change to the active runs is noted, and set again at the start of each cell. Other
threads, and the tasks a cell starts, see what they always saw.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from .state import ACTIVE, RunState

__all__ = ["follow_cells", "set_active"]

_MAIN = threading.main_thread()
_LAST: list[tuple[RunState, ...]] = []  # [the main thread's last active runs]
_SHELLS: set[int] = set()  # shells whose hook is registered


def set_active(stack: tuple[RunState, ...]) -> None:
    """Make ``stack`` the active runs here (noted for the next cell in IPython)."""
    ACTIVE.set(stack)
    if _SHELLS and threading.current_thread() is _MAIN:
        _LAST[:] = [stack]


def follow_cells() -> None:
    """Register the cell hook once, if this is an IPython session (never imports it)."""
    module = sys.modules.get("IPython")
    if module is None:
        return
    try:
        shell = module.get_ipython()
        if shell is None or id(shell) in _SHELLS:
            return
        shell.events.register("pre_run_cell", _restore)
        _SHELLS.add(id(shell))
    except Exception:  # another IPython's API: runs stay per context, as before
        return
    if threading.current_thread() is _MAIN:
        _LAST[:] = [ACTIVE.get()]


def _restore(*_: Any) -> None:
    if _LAST:
        ACTIVE.set(_LAST[0])
