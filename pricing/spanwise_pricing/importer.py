"""Refresh the built-in price table from genai-prices, keeping price history.

History rules (per provider file, per model id):

* A model new to the table is added with the source's dated versions.
* A source version whose ``valid_from`` is new to the table is added if it changes the price
  in force on that date (the source dated the change).
* A price the source changed in place (same ``valid_from``) becomes a NEW version dated the
  import day (``--as-of``): the old price stays in force for calls before it. A changed
  version dated in the future has not applied to any call yet, so it is replaced.
* Models and versions the source dropped are kept: old calls must still reprice the same.

Match rules and names are taken from the source as they are now (they have no history).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from spanwise_pricing._internal.genai_prices import (
    SOURCE,
    convert_providers,
    fmt_decimal,
    load_source,
)
from spanwise_pricing._internal.parse import _Errors, parse_model
from spanwise_pricing._internal.yamlio import dump_yaml, load_yaml_fast
from spanwise_pricing.book import builtin_data_dir
from spanwise_pricing.table import PRICE_KEYS, PriceVersion

__all__ = ["ImportReport", "import_prices", "merge_versions"]

_HEADER = (
    "# Spanwise built-in prices for provider {pid!r}, imported by `spanwise pricing import`\n"
    "# from {label}. USD per million tokens (`request`: USD per request).\n"
    "# Do not edit by hand: put corrections in an override file (see `spanwise pricing check`).\n"
)


@dataclass
class ImportReport:
    source: str
    providers: int = 0
    new_models: int = 0
    changed_models: int = 0
    new_versions: int = 0
    kept_models: int = 0
    files_written: list[str] = field(default_factory=list)


def _in_force(versions: list[PriceVersion], day: date) -> PriceVersion | None:
    found = versions[0] if versions else None
    for v in versions:
        if v.valid_from <= day:
            found = v
    return found


def merge_versions(
    existing: tuple[PriceVersion, ...], fresh: tuple[PriceVersion, ...], today: date
) -> list[PriceVersion]:
    """Existing history plus what the source says now; see the module docstring."""
    result = list(existing)
    if not result:
        return list(fresh)
    for f in fresh:
        same_day = next((i for i, e in enumerate(result) if e.valid_from == f.valid_from), None)
        if same_day is not None:
            if f.valid_from > today and not result[same_day].same_prices(f):
                result[same_day] = f
            continue
        current = _in_force(sorted(result, key=lambda v: v.valid_from), f.valid_from)
        if current is None or not current.same_prices(f):
            result.append(f)
    result.sort(key=lambda v: v.valid_from)
    now_fresh, now_ours = _in_force(list(fresh), today), _in_force(result, today)
    if now_fresh is not None and now_ours is not None and not now_ours.same_prices(now_fresh):
        result = [v for v in result if v.valid_from != today]
        result.append(
            PriceVersion(today, f"{SOURCE}@{today.isoformat()}", now_fresh.prices, now_fresh.tiers)
        )
        result.sort(key=lambda v: v.valid_from)
    return result


def _version_dict(v: PriceVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"valid_from": v.valid_from, "version": v.version}
    out.update({k: fmt_decimal(v.prices[k]) for k in PRICE_KEYS if k in v.prices})
    if v.tiers:
        out["tiers"] = [
            {
                "above_input_tokens": t.above_input_tokens,
                **{k: fmt_decimal(t.prices[k]) for k in PRICE_KEYS if k in t.prices},
            }
            for t in v.tiers
        ]
    return out


def _versions_of(raw: Mapping[str, Any], pid: str, where: str) -> tuple[PriceVersion, ...]:
    errs = _Errors(where)
    model = parse_model(raw, f"model {raw.get('id')!r}", errs, default_provider=pid, source=SOURCE)
    errs.raise_if_any()
    assert model is not None
    return model.versions


def _merge_provider(
    old: Mapping[str, Any] | None, new: dict[str, Any], today: date, report: ImportReport
) -> dict[str, Any]:
    pid = new["provider"]
    old_models = {m["id"]: m for m in (old or {}).get("models") or []}
    merged: list[dict[str, Any]] = []
    for model in new["models"]:
        previous = old_models.pop(model["id"], None)
        if previous is None:
            report.new_models += 1
            merged.append(model)
            continue
        before = _versions_of(previous, pid, f"{pid}.yaml")
        after = merge_versions(before, _versions_of(model, pid, SOURCE), today)
        if len(after) != len(before) or any(
            not a.same_prices(b) for a, b in zip(after, before, strict=False)
        ):
            report.changed_models += 1
            report.new_versions += max(0, len(after) - len(before))
        merged.append({**model, "prices": [_version_dict(v) for v in after]})
    report.kept_models += len(old_models)
    merged.extend(old_models.values())  # dropped by the source; kept for history
    return {**new, "models": merged}


def import_prices(
    source: str | None = None,
    *,
    data_dir: str | Path | None = None,
    as_of: date | None = None,
) -> ImportReport:
    """Import ``source`` (None or ``"genai-prices"``: the installed package; else a data.json
    path) into ``data_dir`` (default: the package's data directory)."""
    today = as_of or datetime.now(UTC).date()
    target = Path(data_dir) if data_dir is not None else builtin_data_dir()
    target.mkdir(parents=True, exist_ok=True)
    providers, label = load_source(None if source in (None, SOURCE) else source)
    report = ImportReport(source=label)
    for doc in convert_providers(providers):
        report.providers += 1
        path = target / f"{doc['provider']}.yaml"
        old_text = path.read_text(encoding="utf-8") if path.exists() else None
        old = load_yaml_fast(old_text) if old_text else None
        merged = _merge_provider(old, doc, today, report)
        text = dump_yaml(merged, _HEADER.format(pid=doc["provider"], label=label))
        if text != old_text:
            path.write_text(text, encoding="utf-8")
            report.files_written.append(path.name)
    return report
