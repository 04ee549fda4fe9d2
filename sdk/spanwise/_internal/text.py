"""Text that UTF-8 cannot encode: lone surrogates (``"\\ud800"``, e.g. from bytes decoded
with ``errors="surrogateescape"``). OTLP and our run events carry UTF-8 only, and one
such string fails the encoding of a whole batch; exporters replace them with U+FFFD."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["replace_lone_surrogates"]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_lone_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate in its text (also inside lists, tuples and
    dicts, keys included) replaced by U+FFFD; anything else unchanged."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, (list, tuple)):
        return tuple([replace_lone_surrogates(v) for v in value])
    if isinstance(value, dict):
        return {replace_lone_surrogates(k): replace_lone_surrogates(v) for k, v in value.items()}
    return value
