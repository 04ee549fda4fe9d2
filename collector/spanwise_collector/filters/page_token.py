"""Opaque page tokens: url-safe base64 of a small JSON object (a keyset cursor).

A token carries the sort values of the last row returned, so the next page starts
strictly after it and stays stable while new rows arrive. Tokens are not secret: the
values they hold are only ever bound as query parameters. `query` binds a token to one
query (e.g. the filter + order_by text) so it cannot be replayed against another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping

from spanwise_collector.filters.errors import InvalidPageToken

__all__ = ["MAX_PAGE_TOKEN_LENGTH", "decode_page_token", "encode_page_token"]

#: Longest token accepted.
MAX_PAGE_TOKEN_LENGTH = 4_096
_VERSION = 1


def encode_page_token(cursor: Mapping[str, object], *, query: str | None = None) -> str:
    """Encode a JSON-serialisable cursor dict (str/int/float/bool/None/lists) as a token."""
    body: dict[str, object] = {"v": _VERSION, "c": dict(cursor)}
    if query is not None:
        body["q"] = _fingerprint(query)
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    token = base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")
    if len(token) > MAX_PAGE_TOKEN_LENGTH:
        raise ValueError("cursor too large for a page token")
    return token


def decode_page_token(
    token: str, expected_keys: Iterable[str], *, query: str | None = None
) -> dict[str, object]:
    """Decode a token made by encode_page_token; InvalidPageToken unless it has exactly
    `expected_keys` (and, when given, was issued for the same `query`)."""
    if not isinstance(token, str) or not token:
        raise InvalidPageToken("invalid page token: empty or not a string")
    if len(token) > MAX_PAGE_TOKEN_LENGTH:
        raise InvalidPageToken("invalid page token: too long")
    try:
        padded = token + "=" * (-len(token) % 4)
        raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeError, binascii.Error, ValueError):
        raise InvalidPageToken("invalid page token: not a token this server issued") from None
    if (
        not isinstance(body, dict)
        or body.get("v") != _VERSION
        or not isinstance(body.get("c"), dict)
    ):
        raise InvalidPageToken("invalid page token: unknown format")
    if query is not None and body.get("q") != _fingerprint(query):
        raise InvalidPageToken("invalid page token: it belongs to a different query")
    cursor = body["c"]
    expected = set(expected_keys)
    if set(cursor) != expected:
        raise InvalidPageToken(
            f"invalid page token: expected fields {sorted(expected)}", expected=sorted(expected)
        )
    return cursor


def _fingerprint(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in a page token")
