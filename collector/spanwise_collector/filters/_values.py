"""Check filter values against field types and convert them to parameter values."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, localcontext

from spanwise_collector.filters.ast import Value
from spanwise_collector.filters.errors import FilterError

__all__ = ["is_number", "to_datetime", "to_decimal", "to_float", "to_int"]

_INT64 = (-(2**63), 2**63 - 1)
_DECIMAL_LIMIT = Decimal(10) ** 29  # Decimal(38, 9) holds 29 integer digits
_DECIMAL_STEP = Decimal("1e-9")
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# DateTime64(9) covers 1900-01-01 .. 2262-04-11.
_MIN_NS, _MAX_NS = -2_208_988_800 * 10**9, 9_223_372_036 * 10**9
_MAX_MS = Decimal(10) ** 16


def is_number(value: object) -> bool:
    # float is not produced by the parser but accepted from ASTs built in code
    # (e.g. keyset cursors), as long as it is finite.
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _decimal(value: int | float | Decimal) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def to_float(value: Value, where: int | None, name: str) -> float:
    _need_number(value, where, name)
    result = float(value)
    if not math.isfinite(result):
        raise FilterError(f"number {value} is out of range for {name}", where)
    return result


def to_int(value: Value, where: int | None, name: str) -> int | None:
    """The value as an Int64, or None when it is not a whole number in range."""
    _need_number(value, where, name)
    if isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
        return value
    return None


def to_decimal(value: Value, where: int | None, name: str) -> Decimal:
    _need_number(value, where, name)
    number = _decimal(value)
    if abs(number) >= _DECIMAL_LIMIT:
        raise FilterError(f"number {value} is out of range for {name}", where)
    # 29 integer + 9 decimal digits exceed the default 28-digit context: widen it.
    with localcontext() as ctx:
        ctx.prec = 60
        exact = number == number.quantize(_DECIMAL_STEP)
    if not exact:
        raise FilterError(f"{name} has at most 9 decimal places; got {value}", where)
    return number


def to_datetime(value: Value, where: int | None, name: str) -> str:
    """An ISO-8601 string or epoch milliseconds -> 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' UTC."""
    if isinstance(value, datetime):
        value = value.isoformat() if value.tzinfo else f"{value.isoformat()}Z"
    if is_number(value):
        ms = _decimal(value)
        if abs(ms) > _MAX_MS:  # before any arithmetic: 1e999999 must not reach Decimal math
            raise FilterError(f"{name}: {value} is outside 1900-01-01 .. 2262-04-11", where)
        ns = int(ms.scaleb(6))  # epoch ms -> ns
    elif isinstance(value, str):
        ns = _parse_iso(value, where, name)
    else:  # pragma: no cover - the parser produces only str/int/Decimal
        raise FilterError(f"{name} needs a date/time", where)
    if not _MIN_NS <= ns <= _MAX_NS:
        raise FilterError(f"{name}: {value!r} is outside 1900-01-01 .. 2262-04-11", where)
    seconds, nanos = divmod(ns, 10**9)
    moment = _EPOCH + timedelta(seconds=seconds)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{nanos:09d}"


def _parse_iso(text: str, where: int | None, name: str) -> int:
    m = _ISO.fullmatch(text.strip())
    bad = FilterError(
        f"{name} needs an ISO-8601 date/time such as '2026-03-01T12:00:00Z' or epoch "
        f"milliseconds; got {text!r}",
        where,
        ("an ISO-8601 date/time", "epoch milliseconds"),
    )
    if m is None:
        raise bad
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        tz = timezone.utc
        if zone and zone.upper() != "Z":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        moment = datetime(
            int(year), int(month), int(day),
            int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz,
        )  # fmt: skip
    except ValueError:
        raise bad from None
    whole = (moment - _EPOCH) // timedelta(seconds=1)
    return whole * 10**9 + int((fraction or "").ljust(9, "0"))


def _need_number(value: Value, where: int | None, name: str) -> None:
    if not is_number(value):
        raise FilterError(
            f"{name} is numeric; expected a number but found {value!r}", where, ("a number",)
        )
