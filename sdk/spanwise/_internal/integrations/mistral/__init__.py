"""Mistral integration: spans for every call through the ``mistralai`` client.

Importing this package does not import ``mistralai``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER

autolog, is_enabled = PATCHER.public_api(
    "every Mistral chat call (``chat.complete``, ``chat.stream``, their async twins) and "
    "embeddings request"
)

__all__ = ["autolog", "is_enabled"]
