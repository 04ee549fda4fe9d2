"""``server.address``/``server.port`` of an LLM call, from the URL its client sends to."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ... import attributes as attrs


def server_attributes(url: Any) -> dict[str, Any]:
    """The host and port of ``url`` (the scheme's port when it names none); nothing for
    what is not a URL with a host."""
    if not isinstance(url, str) or not url:
        return {}
    parts = urlsplit(url)
    if not parts.hostname:
        return {}
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {attrs.SERVER_ADDRESS: parts.hostname, attrs.SERVER_PORT: port}
