"""Groq integration: spans for every chat completion through the ``groq`` client.

Importing this package does not import ``groq``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER

autolog, is_enabled = PATCHER.public_api(
    "every Groq chat completion (sync, async, ``stream=True``)"
)

__all__ = ["autolog", "is_enabled"]
