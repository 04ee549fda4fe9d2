"""Gemini integration: spans for every call through Google's ``google-genai`` client.

Importing this package does not import ``google.genai``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER


def autolog(disable: bool = False, log_inputs: bool = True, log_outputs: bool = True) -> None:
    """Trace every ``generate_content``, ``generate_content_stream`` and
    ``embed_content`` call (``client.models`` and ``client.aio.models``; chats go
    through them), on the Gemini API and Vertex AI.

    Idempotent: calling it again only changes ``log_inputs``/``log_outputs``.
    ``disable=True`` removes every patch.
    """
    PATCHER.autolog(disable, log_inputs, log_outputs)


def is_enabled() -> bool:
    return PATCHER.is_enabled()


__all__ = ["autolog", "is_enabled"]
