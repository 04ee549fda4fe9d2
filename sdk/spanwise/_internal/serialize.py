"""Captured inputs and outputs as JSON strings with a size cap."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
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


def _c_encoder() -> tuple[Any, tuple[Any, ...]] | None:
    """``json.dumps(value, default=_default, ensure_ascii=False)`` without the Python
    ``JSONEncoder`` built per call (half its cost for a small value): the C encoder
    maker and the arguments ``JSONEncoder.iterencode`` gives it, or ``None`` where
    that is not what ``JSONEncoder`` would produce. A fresh ``markers`` dict per call
    keeps the circular-reference check and thread safety."""
    make = getattr(json.encoder, "c_make_encoder", None)
    args = (_default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)
    sample = {"a": [1.5, None, "é", float("inf")]}
    try:
        if make is None or "".join(make({}, *args)(sample, 0)) != _ENCODER.encode(sample):
            return None
    except Exception:  # another signature: the portable way
        return None
    return make, args


_ENCODER = json.JSONEncoder(default=_default, ensure_ascii=False)
_C_ENCODER = _c_encoder()


def to_json(value: Any, max_chars: int) -> str:
    """Encode ``value`` as JSON; unencodable parts become their repr; cap the size."""
    try:
        if _C_ENCODER is not None:
            make, args = _C_ENCODER
            text = "".join(make({}, *args)(value, 0))
        else:
            text = _ENCODER.encode(value)
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
