"""Exit hooks in ``multiprocessing``'s forked children.

A child made by ``multiprocessing`` with the ``fork`` start method (``Process``,
``Pool``, ``ProcessPoolExecutor``; Linux's default before Python 3.14) ends with
``os._exit()``: ``atexit`` hooks never run there, so the spans and run events the
child made were silently lost. multiprocessing runs its own finalizers before that
exit, so Spanwise's exit hooks are registered there too, in each child.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger("spanwise")

# Run last-registered first, as atexit does (run events end before spans are sent).
_HOOKS: list[Callable[[], None]] = []
# Finalizers with a higher priority run first; a Queue's feeder pipe closes at 10,
# which a hook does not need.
_EXIT_PRIORITY = 0


class _Anchor:
    """multiprocessing keeps after-fork callbacks only while their object lives."""


_ANCHOR = _Anchor()
_INSTALLED: list[bool] = []


def register(hook: Callable[[], None]) -> None:
    """Run ``hook`` when a forked multiprocessing child ends (as atexit does elsewhere)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)
    if _INSTALLED:
        return
    _INSTALLED.append(True)
    try:
        import multiprocessing
        from multiprocessing import util

        util.register_after_fork(_ANCHOR, _in_child)  # children forked from now on
        if multiprocessing.parent_process() is not None:
            _in_child(_ANCHOR)  # this process is such a child, set up after its fork
    except Exception:
        logger.debug("spanwise: cannot hook multiprocessing's child exit", exc_info=True)


def _in_child(_anchor: _Anchor) -> None:
    # Called by multiprocessing in the child once it cleared the parent's finalizers.
    from multiprocessing import util

    util.Finalize(None, _run_hooks, exitpriority=_EXIT_PRIORITY)


def _run_hooks() -> None:
    for hook in reversed(_HOOKS):
        try:
            hook()
        except Exception:
            logger.debug("spanwise: exit hook in a multiprocessing child failed", exc_info=True)
