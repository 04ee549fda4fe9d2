"""Anthropic integration: spans for every call through the official ``anthropic`` client.

Importing this package does not import ``anthropic``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER

autolog, is_enabled = PATCHER.public_api(
    "every Anthropic Messages API call (sync, async, ``stream=True``, the ``.stream()`` "
    "helper, ``.parse()``, and their ``beta`` twins)"
)

__all__ = ["autolog", "is_enabled"]
