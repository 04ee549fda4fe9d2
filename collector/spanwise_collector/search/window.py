"""The time window and page token of one search request.

Relative times ("1d") are resolved on the first page and carried in the page token, so
every page of one search looks at the same window. The token is bound to the request
(kind, filter, order_by, project, time arguments) by a fingerprint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from spanwise_collector.filters import InvalidPageToken, decode_page_token, encode_page_token

from ..query.costs import EARLIEST, LATEST, parse_time
from ..query.errors import QueryError

__all__ = ["MAX_RESULTS", "Window", "check_fields", "open_window", "time_value"]

MAX_RESULTS = 1000
# DateTime64(9) spans 1900..2262; these stand for "unbounded".
_MIN, _MAX = EARLIEST, LATEST


def time_value(value: Any, default: datetime, name: str = "time") -> datetime:
    """datetime, epoch ms, ISO text or relative (7d, 12h, 30m); QueryError otherwise."""
    if value is None or value == "":
        return default
    if isinstance(value, datetime):
        value = value.isoformat()
    return parse_time(str(value), default=default, name=name)


def _ns(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def _from_ns(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC).replace(
        microsecond=(ns % 1_000_000_000) // 1000
    )


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    project: str
    cursor: list[Any] | None  # sort values of the last row of the previous page
    fingerprint: str

    @property
    def params(self) -> dict[str, object]:
        """Parameters of the subquery bounds (schema wraps) and of the main query."""
        return {
            "w_since": self.since.replace(tzinfo=None),
            "w_until": self.until.replace(tzinfo=None),
            "w_project": self.project,
        }

    def next_token(self, cursor: list[Any]) -> str:
        body = {"k": cursor, "s": _ns(self.since), "u": _ns(self.until)}
        return encode_page_token(body, query=self.fingerprint)


def open_window(
    kind: str,
    *,
    filter: str | None,
    order_by: Any,
    since: Any,
    until: Any,
    project: str | None,
    page_token: str | None,
    max_results: int,
) -> Window:
    if not 1 <= max_results <= MAX_RESULTS:
        raise QueryError(f"max_results must be between 1 and {MAX_RESULTS}, got {max_results}")
    fingerprint = json.dumps(
        [kind, filter or "", order_by, project or "", str(since or ""), str(until or "")],
        default=str,
    )
    if page_token:
        body = decode_page_token(page_token, ("k", "s", "u"), query=fingerprint)
        s, u = body["s"], body["u"]
        if not (isinstance(s, int) and isinstance(u, int) and isinstance(body["k"], list)):
            raise InvalidPageToken("invalid page token: not a token this server issued")
        if not _ns(_MIN) <= s <= u <= _ns(_MAX):
            raise InvalidPageToken("invalid page token: time window out of range")
        return Window(_from_ns(s), _from_ns(u), project or "", body["k"], fingerprint)
    start = time_value(since, _MIN, "since")
    end = time_value(until, _MAX, "until")
    if start >= end:
        raise QueryError("since must be before until")
    return Window(start, end, project or "", None, fingerprint)


def check_fields(fields: Any, known: tuple[str, ...]) -> None:
    """QueryError if ``fields`` (None: all) names a field a result does not have."""
    if fields is not None:
        unknown = sorted(set(fields) - set(known))
        if unknown:
            raise QueryError(f"unknown fields {unknown}; choose from {', '.join(known)}")
