"""What a tag edit may hold; every problem is a QueryError (400) before anything is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..query.errors import QueryError
from .encoding import MARK

__all__ = ["MAX_KEY", "MAX_TAGS", "MAX_VALUE", "check_keys", "check_tags"]

MAX_TAGS = 100  # per request
MAX_KEY = 250
MAX_VALUE = 8_192


def _text(text: str, what: str) -> None:
    if MARK in text:
        raise QueryError(f"{what} cannot hold the character U+10FFFF")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError(f"{what} holds invalid Unicode (a lone surrogate)") from None


def _key(key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise QueryError(f"a tag key must be a non-empty string, got {key!r}")
    if len(key) > MAX_KEY:
        raise QueryError(f"tag key {key[:40]!r}… is longer than {MAX_KEY} characters")
    _text(key, "tag keys")
    return key


def check_tags(tags: Any) -> dict[str, str]:
    if not isinstance(tags, Mapping) or not tags:
        raise QueryError('tags must be a non-empty object of strings, e.g. {"reviewed": "yes"}')
    if len(tags) > MAX_TAGS:
        raise QueryError(f"at most {MAX_TAGS} tags per request, got {len(tags)}")
    out: dict[str, str] = {}
    for key, value in tags.items():
        _key(key)
        if not isinstance(value, str):
            raise QueryError(f"tag {key!r}: the value must be a string, got {type(value).__name__}")
        if len(value) > MAX_VALUE:
            raise QueryError(f"tag {key!r}: the value is longer than {MAX_VALUE} characters")
        _text(value, f"tag {key!r}: the value")
        out[key] = value
    return out


def check_keys(keys: Any) -> list[str]:
    if isinstance(keys, str) or not isinstance(keys, Sequence) or not keys:
        raise QueryError("keys must be a non-empty list of tag keys")
    if len(keys) > MAX_TAGS:
        raise QueryError(f"at most {MAX_TAGS} tags per request, got {len(keys)}")
    return list(dict.fromkeys(_key(k) for k in keys))
