"""Mistral integration: spans for every call through the ``mistralai`` client.

Importing this package does not import ``mistralai``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER


def autolog(disable: bool = False, log_inputs: bool = True, log_outputs: bool = True) -> None:
    """Trace every Mistral chat call (``chat.complete``, ``chat.stream``, their async
    twins) and embeddings request.

    Idempotent: calling it again only changes ``log_inputs``/``log_outputs``.
    ``disable=True`` removes every patch.
    """
    PATCHER.autolog(disable, log_inputs, log_outputs)


def is_enabled() -> bool:
    return PATCHER.is_enabled()


__all__ = ["autolog", "is_enabled"]
