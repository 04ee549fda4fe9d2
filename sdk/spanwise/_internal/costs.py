"""Result shapes of ``Client.cost_summary``: frozen dataclasses built from the API's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["CostRow", "CostSummary"]


@dataclass(frozen=True)
class CostRow:
    """Totals of one group. ``key`` maps each group_by key (``model``, ``day``, ``tag:team``…)
    to its value; ``unpriced_calls`` counts calls whose model has no price (never $0)."""

    key: Mapping[str, str] = field(default_factory=dict)
    cost: Decimal = Decimal(0)
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    calls: int = 0
    unpriced_calls: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CostRow:
        return cls(
            key=dict(d.get("key") or {}),
            cost=Decimal(str(d.get("cost") or "0")),
            input_tokens=int(d.get("input_tokens") or 0),
            output_tokens=int(d.get("output_tokens") or 0),
            cached_tokens=int(d.get("cached_tokens") or 0),
            reasoning_tokens=int(d.get("reasoning_tokens") or 0),
            calls=int(d.get("calls") or 0),
            unpriced_calls=int(d.get("unpriced_calls") or 0),
        )


@dataclass(frozen=True)
class CostSummary:
    """``rows`` (most expensive first) and their ``total`` within [``since``, ``until``)."""

    group_by: tuple[str, ...]
    since: str
    until: str
    rows: tuple[CostRow, ...]
    total: CostRow
    project: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CostSummary:
        return cls(
            group_by=tuple(d.get("group_by") or ()),
            since=d.get("since") or "",
            until=d.get("until") or "",
            rows=tuple(CostRow.from_dict(r) for r in d.get("rows") or ()),
            total=CostRow.from_dict(d.get("total") or {}),
            project=d.get("project"),
        )
