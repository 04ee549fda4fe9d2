"""Anthropic integration: spans for every call through the official ``anthropic`` client.

Importing this package does not import ``anthropic``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER


def autolog(disable: bool = False, log_inputs: bool = True, log_outputs: bool = True) -> None:
    """Trace every Anthropic Messages API call (sync, async, ``stream=True``, the
    ``.stream()`` helper, ``.parse()``, and their ``beta`` twins).

    Idempotent: calling it again only changes ``log_inputs``/``log_outputs``.
    ``disable=True`` removes every patch.
    """
    PATCHER.autolog(disable, log_inputs, log_outputs)


def is_enabled() -> bool:
    return PATCHER.is_enabled()


__all__ = ["autolog", "is_enabled"]
