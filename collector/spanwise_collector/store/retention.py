"""Retention: how many days spans are kept, globally or per project.

Every span row carries ``RetentionDays``, filled at insert by the column's DEFAULT
expression (``multiIf(Project = 'a', 7, …, global)``). It is part of the partition
key, so each part holds one day × one retention class, and the TTL
``Timestamp + RetentionDays`` with ``ttl_only_drop_parts = 1`` drops whole parts —
no row deletes, no rewrites. 0 means keep forever. Changing the policy changes
the DEFAULT only: spans already stored keep the retention they were written with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["MAX_DAYS", "Retention", "parse_project_retention"]

MAX_DAYS = 36_500  # 100 years; the column is UInt16


@dataclass(frozen=True)
class Retention:
    days: int = 0  # global; 0 = keep forever
    projects: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for name, days in [("--retention-days", self.days), *self.projects.items()]:
            if not 0 <= days <= MAX_DAYS:
                raise ValueError(f"retention for {name} must be 0..{MAX_DAYS} days, got {days}")
        object.__setattr__(self, "projects", MappingProxyType(dict(self.projects)))

    def expression(self) -> str:
        """The DEFAULT expression of ``RetentionDays`` (ClickHouse's own formatting)."""
        if not self.projects:
            return str(self.days)
        arms = ", ".join(
            f"Project = {_quote(name)}, {days}" for name, days in sorted(self.projects.items())
        )
        return f"multiIf({arms}, {self.days})"


def parse_project_retention(values: Iterable[str]) -> dict[str, int]:
    """``["proj=7", "other=30"]`` → ``{"proj": 7, "other": 30}``."""
    out: dict[str, int] = {}
    for value in values:
        project, sep, days = value.rpartition("=")
        if not sep or not project:
            raise ValueError(f"--retention wants PROJECT=DAYS, got {value!r}")
        try:
            out[project] = int(days)
        except ValueError:
            raise ValueError(f"--retention {value!r}: DAYS must be a whole number") from None
    return out


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
