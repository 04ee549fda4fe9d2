"""OpenAI integration: spans for every call through the official ``openai`` client.

Importing this package does not import ``openai``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER

autolog, is_enabled = PATCHER.public_api(
    "every OpenAI call (sync, async, streams, Responses API, embeddings)"
)

__all__ = ["autolog", "is_enabled"]
