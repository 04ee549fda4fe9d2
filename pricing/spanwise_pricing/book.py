"""`PriceBook`: the built-in price table plus user overrides, and the cost calculator.

Precedence, highest first: project-scoped override entries, global override entries (a later
file beats an earlier one), then the built-in table. A layer whose matching model has no price
in force at the call's time (its first ``valid_from`` is later) is skipped, so an override
that starts on 2025-01-01 leaves earlier calls at the built-in price.

An override entry matches a call when its id, aliases or ``match`` rule match the model name,
or when its id names a built-in model the call also resolves to: an override of ``gpt-4o``
covers ``gpt-4o-2024-08-06`` and ``openai/gpt-4o`` too.

Model matching is resolved once per (provider, model, project) and kept in an LRU cache; the
per-call work is a date comparison and a few Decimal multiplications.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from os import PathLike
from pathlib import Path

import yaml

from spanwise_pricing._internal.catalog import Catalog, split_prefix
from spanwise_pricing._internal.compute import cost_breakdown
from spanwise_pricing._internal.parse import (
    OverrideSet,
    PriceFormatError,
    parse_overrides,
    parse_provider_file,
)
from spanwise_pricing._internal.yamlio import load_yaml, load_yaml_fast
from spanwise_pricing.table import EPOCH, ModelPricing, PriceVersion
from spanwise_pricing.usage import CostResult, Usage

__all__ = ["Match", "PriceBook", "builtin_data_dir", "load_override_file"]

_NS_PER_DAY = 86_400 * 1_000_000_000
_EPOCH_ORDINAL = EPOCH.toordinal()
_ZERO = Decimal(0)


def builtin_data_dir() -> Path:
    """Where the shipped price snapshot lives (``spanwise_pricing/data``)."""
    return Path(str(resources.files("spanwise_pricing") / "data"))


def load_override_file(path: str | PathLike[str]) -> OverrideSet:
    """Parse and validate a user price file; raises PriceFormatError naming line and key."""
    p = Path(path)
    try:
        raw = load_yaml(p)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PriceFormatError(p.name, [f"{where}not valid YAML: {problem}"]) from None
    return parse_overrides(raw, p.name)


@functools.cache
def _builtin_catalog(data_dir: str) -> Catalog:
    root = Path(data_dir)
    providers = [
        parse_provider_file(load_yaml_fast(f.read_text(encoding="utf-8")), f.name)
        for f in sorted(root.glob("*.yaml"))
    ]
    return Catalog(providers)


@dataclass(frozen=True)
class Match:
    """A model a (provider, model) pair resolved to, and where its prices come from.

    ``model`` holds the price history; ``provider`` is the provider whose prices apply;
    ``layer`` is ``"builtin"``, ``"override"`` or ``"project:<name>"``.
    """

    model: ModelPricing
    provider: str | None
    layer: str


def _day(at: datetime | date | int | None) -> int:
    """Days since 1970-01-01 UTC of a datetime (naive = UTC), date or epoch-nanoseconds int."""
    if at is None:
        return datetime.now(UTC).date().toordinal() - _EPOCH_ORDINAL
    if isinstance(at, bool):
        raise TypeError("at must be a datetime, date or epoch nanoseconds int")
    if isinstance(at, int):
        return at // _NS_PER_DAY
    if isinstance(at, datetime):
        if at.tzinfo is not None:
            at = at.astimezone(UTC)
        return at.date().toordinal() - _EPOCH_ORDINAL
    if isinstance(at, date):
        return at.toordinal() - _EPOCH_ORDINAL
    raise TypeError(
        f"at must be a datetime, date or epoch nanoseconds int, not {type(at).__name__}"
    )


class PriceBook:
    """Prices LLM calls from the built-in table and user overrides.

    >>> book = PriceBook.load(overrides=("my-prices.yaml",))
    >>> book.price(provider="openai", model="gpt-4o-2024-08-06", at=ts_ns,
    ...            usage=Usage(input_tokens=1200, cached_input_tokens=1000, output_tokens=300))

    See `spanwise_pricing.usage` for how each provider's usage maps to `Usage`.
    """

    def __init__(
        self, catalog: Catalog, overrides: Sequence[OverrideSet] = (), *, cache_size: int = 16384
    ) -> None:
        self.catalog = catalog
        self.overrides = tuple(overrides)
        # Later files win: search them first.
        self._global = [m for o in reversed(self.overrides) for m in o.models]
        self._projects: dict[str, list[ModelPricing]] = {}
        for o in reversed(self.overrides):
            for name, models in o.projects.items():
                self._projects.setdefault(name, []).extend(models)
        # The built-in model each override entry's id names, to cover that model's other spellings.
        self._shadows = {
            id(m): self.catalog.resolve(m.provider, m.id.lower())
            for m in (*self._global, *(m for ms in self._projects.values() for m in ms))
        }
        self._resolve_cached = functools.lru_cache(maxsize=cache_size)(self._resolve)
        # (provider, model, project, day) as given → the match and version in force: the
        # ingest path prices thousands of calls of a few models a second (the book is
        # immutable, so entries never go stale).
        self._lookup_cached = functools.lru_cache(maxsize=cache_size)(self._lookup)

    @classmethod
    def builtin(cls) -> PriceBook:
        """The shipped snapshot alone; one shared instance per process."""
        return _builtin_book()

    @classmethod
    def load(
        cls,
        overrides: Iterable[str | PathLike[str]] = (),
        *,
        data_dir: str | PathLike[str] | None = None,
    ) -> PriceBook:
        """The built-in snapshot (parsed once per process) plus override files, in order."""
        catalog = _builtin_catalog(str(data_dir or builtin_data_dir()))
        return cls(catalog, [load_override_file(p) for p in overrides])

    # -- matching ---------------------------------------------------------------------------

    def _provider_keys(self, provider: str | None, ref: str) -> set[str]:
        keys: set[str] = set()
        prefix, _ = split_prefix(ref)
        for raw in (provider, prefix):
            if raw:
                keys.add(raw)
                found = self.catalog.find_provider(raw)
                if found is not None:
                    keys.add(found.id)
        return keys

    def _entry_provider_ok(self, entry: ModelPricing, keys: set[str]) -> bool:
        if entry.provider is None:
            return True
        if entry.provider in keys:
            return True
        canonical = self.catalog.find_provider(entry.provider)
        return canonical is not None and canonical.id in keys

    def _match_layer(
        self,
        entries: Iterable[ModelPricing],
        refs: list[str],
        keys: set[str],
        builtin: ModelPricing | None,
    ) -> ModelPricing | None:
        entries = [e for e in entries if self._entry_provider_ok(e, keys)]
        for r in refs:
            for e in entries:
                if r in e.exact_names():
                    return e
        for r in refs:
            for e in entries:
                if e.pattern_matches(r):
                    return e
        if builtin is not None:
            for e in entries:
                if self._shadows.get(id(e)) is builtin:
                    return e
        return None

    def _override_match(
        self, entry: ModelPricing, provider: str | None, layer: str
    ) -> Match | None:
        if entry.same_as is None:
            found = self.catalog.find_provider(provider)
            owner = entry.provider or (found.id if found is not None else provider)
            return Match(entry, owner, layer)
        target_provider, target_model = entry.same_as
        target = self.catalog.resolve(target_provider or provider, target_model.lower())
        return Match(target, target.provider, layer) if target is not None else None

    def _resolve(self, provider: str | None, ref: str, project: str | None) -> tuple[Match, ...]:
        _, rest = split_prefix(ref)
        refs = [ref] if rest is None else [ref, rest]
        keys = self._provider_keys(provider, ref)
        found: list[Match] = []
        builtin = self.catalog.resolve(provider, ref)
        layers = []
        if project is not None and project in self._projects:
            layers.append((f"project:{project}", self._projects[project]))
        layers.append(("override", self._global))
        for layer, entries in layers:
            entry = self._match_layer(entries, refs, keys, builtin)
            if entry is not None and (m := self._override_match(entry, provider, layer)):
                found.append(m)
        if builtin is not None:
            found.append(Match(builtin, builtin.provider, "builtin"))
        return tuple(found)

    def resolve(
        self, provider: str | None, model: str, *, project: str | None = None
    ) -> tuple[Match, ...]:
        """Every layer's match for this pair, highest precedence first (cached)."""
        norm_provider = provider.strip().lower() if provider else None
        return self._resolve_cached(norm_provider or None, model.strip().lower(), project)

    def lookup(
        self,
        provider: str | None,
        model: str,
        *,
        at: datetime | date | int | None = None,
        project: str | None = None,
    ) -> tuple[Match, PriceVersion] | None:
        """The match and price version that would price a call at ``at``, or None."""
        return self._lookup_cached(provider, model, project, _day(at))

    def _lookup(
        self, provider: str | None, model: str, project: str | None, day: int
    ) -> tuple[Match, PriceVersion] | None:
        for m in self.resolve(provider, model, project=project):
            version = m.model.version_at(day)
            if version is not None:
                return m, version
        return None

    # -- pricing ----------------------------------------------------------------------------

    def price(
        self,
        *,
        provider: str | None,
        model: str | None,
        at: datetime | date | int | None,
        usage: Usage,
        project: str | None = None,
    ) -> CostResult:
        """Price one call. Never raises for bad data; the status says what went wrong."""
        problem = usage.problem()
        if problem is not None:
            return CostResult("invalid_usage", detail=problem)
        if not model or not model.strip():
            return CostResult("unknown_model", detail="no model name")
        found = self.lookup(provider, model, at=at, project=project)
        if found is None:
            return CostResult(
                "unknown_model", detail=f"no price for model {model!r} (provider {provider!r})"
            )
        match, version = found
        if usage.is_empty():
            return CostResult(
                "no_usage",
                model_id=match.model.id,
                provider=match.provider,
                price_version=version.version,
                detail="the call reported no input or output tokens",
            )
        breakdown = cost_breakdown(version, usage)
        return CostResult(
            "ok",
            total=sum(breakdown.values(), start=_ZERO),
            breakdown=breakdown,
            model_id=match.model.id,
            provider=match.provider,
            price_version=version.version,
        )


@functools.cache
def _builtin_book() -> PriceBook:
    return PriceBook(_builtin_catalog(str(builtin_data_dir())))
