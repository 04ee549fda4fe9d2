"""Checking JSON request bodies field by field: each bad field raises ``QueryError``
(HTTP 400) naming it, before anything is written."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .errors import QueryError

__all__ = ["json_object", "json_text", "object_name", "string_map", "text_field", "unknown_fields"]

MAX_NAME = 250
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def json_object(body: Any, what: str = "the request body") -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise QueryError(f"{what} must be a JSON object")
    return body


def unknown_fields(body: Mapping[str, Any], allowed: set[str], hint: str = "") -> None:
    unknown = set(body) - allowed
    if unknown:
        raise QueryError(f"unknown field(s): {', '.join(sorted(unknown))}{hint}")


def text_field(body: Mapping[str, Any], key: str, limit: int, default: str = "") -> str:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise QueryError(f"{key} must be a string")
    if len(value) > limit:
        raise QueryError(f"{key} is longer than {limit} characters")
    return value


def json_text(value: Any, key: str, limit: int) -> str:
    """``value`` as compact JSON text; NaN/infinity (not JSON) and over-long text refused."""
    if isinstance(value, float) and not math.isfinite(value):
        raise QueryError(f"{key} must be a finite number (NaN and infinity are not JSON)")
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a NaN or infinity inside a list or object
        raise QueryError(f"{key} must be JSON: no NaN or infinity inside it") from None
    except TypeError:
        raise QueryError(f"{key} must be JSON") from None
    if len(text) > limit:
        raise QueryError(f"{key} is longer than {limit} characters as JSON")
    return text


def string_map(
    raw: Any, key: str, *, max_keys: int, max_key: int, max_value: int
) -> dict[str, str]:
    """A JSON object of string values (tags, metadata); ``None`` is empty."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise QueryError(f"{key} must be an object of string values")
    if len(raw) > max_keys:
        raise QueryError(f"{key} holds more than {max_keys} keys")
    out: dict[str, str] = {}
    for name, value in raw.items():
        if not name or len(name) > max_key:
            raise QueryError(f"{key} keys must have 1 to {max_key} characters")
        if not isinstance(value, str):
            raise QueryError(f"{key}[{name!r}] must be a string")
        if len(value) > max_value:
            raise QueryError(f"{key}[{name!r}] is longer than {max_value} characters")
        out[name] = value
    return out


def object_name(name: Any, what: str) -> str:
    """The name of a dataset, prompt, …: 1 to 250 characters, no ``/`` (names travel in
    URL paths), no control characters, no leading or trailing spaces."""
    if not isinstance(name, str) or not name.strip():
        raise QueryError(f"a {what} name is required (1 to {MAX_NAME} characters)")
    if len(name) > MAX_NAME:
        raise QueryError(f"a {what} name has at most {MAX_NAME} characters")
    if name != name.strip() or "/" in name or _CONTROL.search(name):
        raise QueryError(
            f"a {what} name cannot contain '/' or control characters, nor start or end with spaces"
        )
    return name
