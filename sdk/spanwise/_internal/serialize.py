"""Captured inputs and outputs as JSON strings with a size cap."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

TRUNCATION_MARKER = "...[truncated {n} chars]"


def _default(value: Any) -> Any:
    """JSON fallback: pydantic models, dataclasses, sets, bytes; else the repr."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:
            pass
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, Mapping):
        return dict(value)
    return repr(value)


def _make_encode() -> Callable[[Any], str]:
    """``json.dumps(value, default=_default, ensure_ascii=False)`` without the Python
    ``JSONEncoder`` built per call (half its cost for a small value): the C encoder
    directly, with the arguments ``JSONEncoder.iterencode`` gives it. A fresh
    ``markers`` dict per call keeps the circular-reference check and thread safety."""
    encoder = json.JSONEncoder(default=_default, ensure_ascii=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    args = (_default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)
    sample = {"a": [1.5, None, "é", float("inf")]}
    try:
        if make is None or "".join(make({}, *args)(sample, 0)) != encoder.encode(sample):
            return encoder.encode
    except Exception:  # another signature: the portable way
        return encoder.encode

    def encode(value: Any) -> str:
        return "".join(make({}, *args)(value, 0))

    return encode


_encode = _make_encode()


def to_json(value: Any, max_chars: int) -> str:
    """Encode ``value`` as JSON; unencodable parts become their repr; cap the size."""
    try:
        text = _encode(value)
    except (TypeError, ValueError, RecursionError):
        # Circular structures or broken __repr__s: fall back to the top-level repr.
        try:
            text = json.dumps(repr(value), ensure_ascii=False)
        except Exception:
            text = json.dumps(f"<unrepresentable {type(value).__name__}>")
    return text if len(text) <= max_chars else truncate(text, max_chars)


def truncate(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + TRUNCATION_MARKER.format(n=len(text) - max_chars)
