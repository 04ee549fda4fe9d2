"""Groq integration: spans for every chat completion through the ``groq`` client.

Importing this package does not import ``groq``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER


def autolog(disable: bool = False, log_inputs: bool = True, log_outputs: bool = True) -> None:
    """Trace every Groq chat completion (sync, async, ``stream=True``).

    Idempotent: calling it again only changes ``log_inputs``/``log_outputs``.
    ``disable=True`` removes every patch.
    """
    PATCHER.autolog(disable, log_inputs, log_outputs)


def is_enabled() -> bool:
    return PATCHER.is_enabled()


__all__ = ["autolog", "is_enabled"]
