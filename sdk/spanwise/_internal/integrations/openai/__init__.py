"""OpenAI integration: spans for every call through the official ``openai`` client.

Importing this package does not import ``openai``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import disable as _disable_patches
from .patch import enable as _enable
from .patch import is_enabled
from .settings import Options


def autolog(disable: bool = False, log_inputs: bool = True, log_outputs: bool = True) -> None:
    """Trace every OpenAI call (sync, async, streams, Responses API, embeddings).

    Idempotent: calling it again only changes ``log_inputs``/``log_outputs``.
    ``disable=True`` removes every patch.
    """
    if disable:
        _disable_patches()
        return
    _enable(Options(log_inputs=bool(log_inputs), log_outputs=bool(log_outputs)))


__all__ = ["autolog", "is_enabled"]
