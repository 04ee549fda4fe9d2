"""Raw YAML data → table objects, with every error reported by key path and line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from spanwise_pricing._internal.clauses import ClauseError, compile_clause
from spanwise_pricing.table import PRICE_KEYS, ModelPricing, PriceVersion, ProviderInfo, Tier

__all__ = [
    "OverrideSet",
    "PriceFormatError",
    "parse_model",
    "parse_overrides",
    "parse_provider_file",
    "to_decimal",
]

_MODEL_KEYS = ("id", "provider", "name", "aliases", "match", "prices", "same_as")
_VERSION_KEYS = ("valid_from", "version", *PRICE_KEYS, "tiers")
_TIER_KEYS = ("above_input_tokens", *PRICE_KEYS)
_OVERRIDE_KEYS = ("provider", "models", "projects")
_PROVIDER_KEYS = (
    "provider",
    "name",
    "source",
    "aliases",
    "provider_match",
    "model_match",
    "api_pattern",
    "fallback_providers",
    "pricing_urls",
    "models",
)


class PriceFormatError(ValueError):
    """A price file that does not follow the format; ``errors`` lists every problem found."""

    def __init__(self, source: str, errors: list[str]) -> None:
        self.source = source
        self.errors = tuple(errors)
        super().__init__(f"{source}: invalid price file:\n  " + "\n  ".join(errors))


@dataclass(frozen=True)
class OverrideSet:
    """One user file: models that apply to every project, and models per project."""

    source: str
    models: tuple[ModelPricing, ...] = ()
    projects: Mapping[str, tuple[ModelPricing, ...]] = field(default_factory=dict)


class _Errors:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, path: str, message: str, node: Any = None, key: Any = None) -> None:
        line = _line_of(node, key)
        where = f"line {line}: " if line else ""
        self.items.append(f"{where}{path}: {message}" if path else f"{where}{message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise PriceFormatError(self.source, self.items)


def _line_of(node: Any, key: Any) -> int | None:
    if key is not None:
        lines = getattr(node, "key_lines", None) or {}
        if isinstance(key, int):
            lines = dict(enumerate(getattr(node, "item_lines", None) or []))
        if key in lines:
            return lines[key]
    return getattr(node, "line", None)


def to_decimal(value: Any) -> Decimal:
    """A price from YAML (string, int or float) as an exact, finite, non-negative Decimal."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError(f"must be a number, got {type(value).__name__}")
    try:
        # repr() of a float is its shortest round-trip text, so 2.5 stays exactly 2.5.
        result = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValueError(f"must be a decimal number, got {value!r}") from None
    if not result.is_finite() or result < 0:
        raise ValueError(f"must be a finite number >= 0, got {value!r}")
    return result


def _check_keys(raw: Mapping, allowed: tuple[str, ...], path: str, errs: _Errors) -> None:
    for key in raw:
        if key not in allowed:
            errs.add(
                f"{path}.{key}" if path else str(key),
                f"unknown key; expected one of {', '.join(allowed)}",
                raw,
                key,
            )


def _prices(raw: Mapping, keys: tuple[str, ...], path: str, errs: _Errors) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for key in keys:
        if key in raw:
            try:
                out[key] = to_decimal(raw[key])
            except ValueError as exc:
                errs.add(f"{path}.{key}", str(exc), raw, key)
    return out


def _valid_from(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a date-time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"must be a date YYYY-MM-DD, got {value!r}")


def _version(raw: Any, path: str, source: str, errs: _Errors) -> PriceVersion | None:
    if not isinstance(raw, Mapping):
        errs.add(path, "a price version must be a mapping with valid_from and prices", raw)
        return None
    _check_keys(raw, _VERSION_KEYS, path, errs)
    valid_from: date | None = None
    if "valid_from" not in raw:
        errs.add(f"{path}.valid_from", "missing; every price needs the date it applies from", raw)
    else:
        try:
            valid_from = _valid_from(raw["valid_from"])
        except ValueError as exc:
            errs.add(f"{path}.valid_from", str(exc), raw, "valid_from")
    prices = _prices(raw, PRICE_KEYS, path, errs)
    if not prices and not any(k in raw for k in PRICE_KEYS):
        errs.add(path, f"no prices; give at least one of {', '.join(PRICE_KEYS)}", raw)
    tiers: list[Tier] = []
    raw_tiers = raw.get("tiers") or []
    if not isinstance(raw_tiers, list):
        errs.add(f"{path}.tiers", "must be a list", raw, "tiers")
        raw_tiers = []
    for i, raw_tier in enumerate(raw_tiers):
        tpath = f"{path}.tiers[{i}]"
        if not isinstance(raw_tier, Mapping):
            errs.add(tpath, "a tier must be a mapping", raw_tiers, i)
            continue
        _check_keys(raw_tier, _TIER_KEYS, tpath, errs)
        above = raw_tier.get("above_input_tokens")
        if type(above) is not int or above <= 0:
            errs.add(
                f"{tpath}.above_input_tokens",
                f"must be a positive int, got {above!r}",
                raw_tier,
                "above_input_tokens",
            )
            continue
        tiers.append(Tier(above, _prices(raw_tier, PRICE_KEYS, tpath, errs)))
    tiers.sort(key=lambda t: t.above_input_tokens)
    if valid_from is None:
        return None
    version = raw.get("version") or f"{source}@{valid_from.isoformat()}"
    if not isinstance(version, str):
        errs.add(f"{path}.version", "must be a string", raw, "version")
    return PriceVersion(valid_from, str(version), prices, tuple(tiers))


def _str_list(raw: Mapping, key: str, path: str, errs: _Errors) -> tuple[str, ...]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        errs.add(f"{path}.{key}", "must be a list of non-empty strings", raw, key)
        return ()
    return tuple(value)


def _clause(raw: Mapping, key: str, path: str, errs: _Errors) -> Any:
    if raw.get(key) is None:
        return None
    try:
        return compile_clause(raw[key])
    except ClauseError as exc:
        sub = f".{exc.path}" if exc.path else ""
        errs.add(f"{path}.{key}{sub}", str(exc), raw, key)
        return None


def parse_model(
    raw: Any, path: str, errs: _Errors, *, default_provider: str | None, source: str
) -> ModelPricing | None:
    if not isinstance(raw, Mapping):
        errs.add(path, "a model must be a mapping with at least 'id'", raw)
        return None
    _check_keys(raw, _MODEL_KEYS, path, errs)
    model_id = raw.get("id")
    if not isinstance(model_id, str) or not model_id.strip():
        errs.add(f"{path}.id", "missing or not a non-empty string", raw, "id")
        model_id = None  # keep validating the rest so one run reports every problem
    provider = raw.get("provider", default_provider)
    if provider is not None and not isinstance(provider, str):
        errs.add(f"{path}.provider", "must be a string", raw, "provider")
        provider = None
    matcher = _clause(raw, "match", path, errs)
    same_as = None
    if raw.get("same_as") is not None:
        target = raw["same_as"]
        if isinstance(target, str) and target.strip():
            same_as = (provider, target.strip())
        elif isinstance(target, Mapping) and isinstance(target.get("model"), str):
            same_as = (target.get("provider") or provider, target["model"])
        else:
            errs.add(
                f"{path}.same_as",
                "must be a model name or {provider: ..., model: ...}",
                raw,
                "same_as",
            )
    raw_versions = raw.get("prices")
    versions: list[PriceVersion] = []
    if same_as is not None and raw_versions is not None:
        errs.add(path, "give either 'prices' or 'same_as', not both", raw, "same_as")
    elif same_as is None:
        if not isinstance(raw_versions, list) or not raw_versions:
            errs.add(
                f"{path}.prices",
                "missing; give a list of price versions (or 'same_as')",
                raw,
                "prices",
            )
        else:
            for i, rv in enumerate(raw_versions):
                v = _version(rv, f"{path}.prices[{i}]", source, errs)
                if v is not None:
                    versions.append(v)
            days = [v.valid_from for v in versions]
            if len(set(days)) != len(days):
                errs.add(f"{path}.prices", "two versions share a valid_from date", raw, "prices")
            versions.sort(key=lambda v: v.valid_from)
    if model_id is None:
        return None
    return ModelPricing(
        id=model_id.strip(),
        provider=provider.strip().lower() if isinstance(provider, str) else None,
        name=raw.get("name") if isinstance(raw.get("name"), str) else None,
        aliases=_str_list(raw, "aliases", path, errs),
        match=raw.get("match"),
        versions=tuple(versions),
        same_as=same_as,
        source=source,
        _matcher=matcher,
    )


def _models(
    raw: Any, path: str, errs: _Errors, default_provider: str | None, source: str
) -> tuple[ModelPricing, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errs.add(path, "must be a list of models", raw)
        return ()
    out = []
    for i, item in enumerate(raw):
        m = parse_model(
            item, f"{path}[{i}]", errs, default_provider=default_provider, source=source
        )
        if m is not None:
            out.append(m)
    return tuple(out)


def parse_overrides(raw: Any, source: str) -> OverrideSet:
    """A user override file: ``provider`` (default for its models), ``models``, ``projects``."""
    errs = _Errors(source)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        errs.add("", "the file must be a mapping with 'models' and/or 'projects'", raw)
        errs.raise_if_any()
    _check_keys(raw, _OVERRIDE_KEYS, "", errs)
    default_provider = raw.get("provider")
    models = _models(raw.get("models"), "models", errs, default_provider, source)
    projects: dict[str, tuple[ModelPricing, ...]] = {}
    raw_projects = raw.get("projects") or {}
    if not isinstance(raw_projects, Mapping):
        errs.add("projects", "must map project names to lists of models", raw, "projects")
    else:
        for name, items in raw_projects.items():
            projects[str(name)] = _models(items, f"projects.{name}", errs, default_provider, source)
    if not models and not any(projects.values()) and not errs.items:
        errs.add("", "no models: add a 'models' list or 'projects'", raw)
    errs.raise_if_any()
    return OverrideSet(source, models, projects)


def parse_provider_file(raw: Any, source: str) -> ProviderInfo:
    """A built-in ``data/<provider>.yaml`` file."""
    errs = _Errors(source)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("provider"), str):
        errs.add("provider", "a provider file needs a 'provider' id", raw)
        errs.raise_if_any()
    _check_keys(raw, _PROVIDER_KEYS, "", errs)
    pid = raw["provider"].lower()
    origin = raw.get("source") or source
    models = _models(raw.get("models"), "models", errs, pid, origin)
    info = ProviderInfo(
        id=pid,
        name=raw.get("name") or pid,
        aliases=tuple(a.lower() for a in _str_list(raw, "aliases", "", errs)),
        provider_match=raw.get("provider_match"),
        model_match=raw.get("model_match"),
        api_pattern=raw.get("api_pattern"),
        fallback_providers=_str_list(raw, "fallback_providers", "", errs),
        pricing_urls=_str_list(raw, "pricing_urls", "", errs),
        source=origin,
        models=models,
        _provider_matcher=_clause(raw, "provider_match", "", errs),
        _model_matcher=_clause(raw, "model_match", "", errs),
    )
    errs.raise_if_any()
    return info
