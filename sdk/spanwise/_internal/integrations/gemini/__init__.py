"""Gemini integration: spans for every call through Google's ``google-genai`` client.

Importing this package does not import ``google.genai``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER

autolog, is_enabled = PATCHER.public_api(
    "every ``generate_content``, ``generate_content_stream`` and ``embed_content`` call "
    "(``client.models`` and ``client.aio.models``; chats go through them), on the Gemini API "
    "and Vertex AI"
)

__all__ = ["autolog", "is_enabled"]
