"""Opaque keyset page tokens: url-safe base64 of a small JSON object."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .errors import QueryError


def encode(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, keys: tuple[str, ...]) -> dict[str, Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise QueryError(
            "invalid page_token: pass the next_page_token of a previous page"
        ) from None
    if not isinstance(values, dict) or set(values) != set(keys):
        raise QueryError("invalid page_token: pass the next_page_token of a previous page")
    return values
