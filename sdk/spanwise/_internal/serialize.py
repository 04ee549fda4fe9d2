"""Captured inputs and outputs as JSON strings with a size cap.

orjson encodes (compact, ~10x faster than the standard library for the messages
of a model call, which is paid on every traced call); anything it refuses (ints
beyond 64 bits, nesting deeper than 254, strings that are not valid UTF-8,
circular structures) goes through the standard library's encoder as before.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping
from typing import Any

TRUNCATION_MARKER = "...[truncated {n} chars]"


# numpy arrays up to this many items are recorded as lists; larger ones as numpy's
# summary (its repr), not paid for in full to be cut at ``max_value_chars`` anyway.
MAX_ARRAY_ITEMS = 10_000


def _default(value: Any) -> Any:
    """JSON fallback: numpy values, pydantic models, dataclasses, dates, UUIDs, enums,
    Decimals, paths, sets, bytes; else the repr. One part that cannot be converted
    becomes its placeholder, not the whole value."""
    try:
        return _convert(value)
    except Exception:
        pass
    try:
        return repr(value)
    except Exception:  # a broken __repr__
        return f"<unrepresentable {type(value).__name__}>"


def _convert(value: Any) -> Any:
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        # Scores, embeddings: numbers, not "np.float32(0.5)" / "array([1.5, 2.5])".
        if getattr(value, "size", 1) <= MAX_ARRAY_ITEMS:
            return value.tolist()
        return repr(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:
            pass
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Its fields as they are (the encoder walks them, as orjson does): asdict()
        # deep-copies each one, which fails on a lock or a client in a field.
        return {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
    text = _standard(value)
    if text is not _NOT_STANDARD:
        return text
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        # Its size, not its repr: a 50 MB image buffer took ~1 s and ~200 MB to repr.
        return f"<{value.nbytes if isinstance(value, memoryview) else len(value)} bytes>"
    if isinstance(value, Mapping):
        return dict(value)
    return repr(value)


_NOT_STANDARD = object()


def _standard(value: Any) -> Any:
    """Dates, times, UUIDs and enums as orjson writes them (so a value reads the same
    whichever encoder took it), Decimals and paths as their text. Their modules are
    looked up, not imported: a value of one exists only once its module is loaded."""
    modules = sys.modules
    dt = modules.get("datetime")
    if dt is not None and isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    uuid = modules.get("uuid")
    if uuid is not None and isinstance(value, uuid.UUID):
        return str(value)
    enum = modules.get("enum")
    if enum is not None and isinstance(value, enum.Enum):
        return value.value
    decimal = modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
        return str(value)  # exact, as the API writes costs
    pathlib = modules.get("pathlib")
    if pathlib is not None and isinstance(value, pathlib.PurePath):
        return str(value)
    return _NOT_STANDARD


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
_ORJSON: Any = None  # (dumps, options) once loaded; False: not installed


def _load_orjson() -> Any:
    """orjson on first use, not at ``import spanwise`` (its own imports cost ~2 ms)."""
    global _ORJSON
    try:
        import orjson
    except ImportError:  # a platform without an orjson wheel: the standard library alone
        _ORJSON = False
    else:
        # Keys that are not strings (ints, floats, bools, None) become strings, as json does.
        _ORJSON = (orjson.dumps, orjson.OPT_NON_STR_KEYS)
    return _ORJSON


def to_json(value: Any, max_chars: int) -> str:
    """Encode ``value`` as JSON; unencodable parts become their repr; cap the size."""
    fast = _ORJSON if _ORJSON is not None else _load_orjson()
    if fast:
        try:
            text = fast[0](value, default=_default, option=fast[1]).decode()
        except Exception:  # what orjson refuses: the standard library's encoder below
            pass
        else:
            return truncate(text, max_chars)
    try:
        if _C_ENCODER is not None:
            make, args = _C_ENCODER
            text = "".join(make({}, *args)(value, 0))
        else:
            text = _ENCODER.encode(value)
    except Exception:
        # Circular structures or broken __repr__s: fall back to the top-level repr.
        try:
            text = json.dumps(repr(value), ensure_ascii=False)
        except Exception:
            text = json.dumps(f"<unrepresentable {type(value).__name__}>")
    return truncate(text, max_chars)


def truncate(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + TRUNCATION_MARKER.format(n=len(text) - max_chars)
