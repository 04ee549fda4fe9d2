"""The built-in price table, indexed for name matching.

Matching a (provider, model) pair, all on lower-cased strings:

1. The provider string is resolved to a provider of the table by id, by alias (the
   OpenTelemetry ``gen_ai.provider.name`` values such as ``az.ai.openai``), by API host
   (``api.openai.com`` against the provider's ``api_pattern``) or by its ``provider_match``
   rule. Unrecognised strings (a self-hosted host name, say) are treated as no provider.
2. Inside a provider, exact names (model id and aliases) win over patterns; patterns are tried
   in file order. A compact date suffix (``-20240806``) is retried in dashed form, and a
   provider's ``fallback_providers`` are searched next (Azure → OpenAI…).
3. A ``prefix/model`` ref (``openai/gpt-4o``, ``models/gemini-2.5-pro``) is also tried without
   its prefix, and in the provider the prefix names.
4. Failing that, the model name picks the provider: every provider whose ``model_match`` rule
   matches the name (``gpt-`` → OpenAI, ``claude`` → Anthropic, ``gemini`` → Google…) is
   searched in order. A name no rule claims stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from spanwise_pricing.table import ModelPricing, ProviderInfo

__all__ = ["Catalog", "split_prefix"]

_COMPACT_DATE = re.compile(r"-(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)")


def _dashed_dates(ref: str) -> str:
    def repl(m: re.Match[str]) -> str:
        try:
            date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return m[0]
        return f"-{m[1]}-{m[2]}-{m[3]}"

    return _COMPACT_DATE.sub(repl, ref)


def split_prefix(ref: str) -> tuple[str | None, str | None]:
    """``'openai/gpt-4o'`` → ``('openai', 'gpt-4o')``; no slash → ``(None, None)``."""
    if "/" not in ref:
        return None, None
    prefix, rest = ref.split("/", 1)
    return (prefix or None), (rest or None)


class Catalog:
    """Built-in providers with per-provider exact-name indexes."""

    def __init__(self, providers: Iterable[ProviderInfo]) -> None:
        self.providers: tuple[ProviderInfo, ...] = tuple(providers)
        self.by_id = {p.id: p for p in self.providers}
        self._aliases: dict[str, ProviderInfo] = {}
        for p in self.providers:
            for alias in p.aliases:
                self._aliases.setdefault(alias, p)
        self._exact: dict[str, dict[str, ModelPricing]] = {}
        self._patterns: dict[str, tuple[ModelPricing, ...]] = {}
        for p in self.providers:
            exact: dict[str, ModelPricing] = {}
            for m in p.models:
                for name in m.exact_names():
                    exact.setdefault(name, m)
            self._exact[p.id] = exact
            self._patterns[p.id] = tuple(m for m in p.models if m._matcher is not None)
        self._api = [(re.compile(p.api_pattern), p) for p in self.providers if p.api_pattern]

    def find_provider(self, raw: str | None) -> ProviderInfo | None:
        if not raw:
            return None
        s = raw.strip().lower()
        found = self.by_id.get(s) or self._aliases.get(s)
        if found:
            return found
        if "." in s or "://" in s:  # a host name or URL of an API endpoint
            url = s if "://" in s else f"https://{s}"
            for rx, p in self._api:
                if rx.match(url):
                    return p
        for p in self.providers:
            if p._provider_matcher is not None and p._provider_matcher(s):
                return p
        return None

    def _in_provider(self, p: ProviderInfo, ref: str) -> ModelPricing | None:
        hit = self._exact[p.id].get(ref)
        if hit is not None:
            return hit
        for m in self._patterns[p.id]:
            if m.pattern_matches(ref):
                return m
        return None

    def find_in_provider(self, p: ProviderInfo, ref: str) -> ModelPricing | None:
        refs = [ref]
        dashed = _dashed_dates(ref)
        if dashed != ref:
            refs.append(dashed)
        for r in refs:
            if (m := self._in_provider(p, r)) is not None:
                return m
        for fid in p.fallback_providers:  # one step only, as genai-prices does
            fb = self.by_id.get(fid)
            if fb is None:
                continue
            for r in refs:
                if (m := self._in_provider(fb, r)) is not None:
                    return m
        return None

    def resolve(self, provider: str | None, ref: str) -> ModelPricing | None:
        """The built-in model for a lower-cased ref, following the module's matching rules."""
        prov = self.find_provider(provider)
        prefix, rest = split_prefix(ref)
        refs = [ref] if rest is None else [ref, rest]
        if prov is not None:
            for r in refs:
                if (m := self.find_in_provider(prov, r)) is not None:
                    return m
        if prefix is not None and rest is not None:
            named = self.find_provider(prefix)
            m = None if named is None or named is prov else self.find_in_provider(named, rest)
            if m is not None:
                return m
        for r in refs:
            for p in self.providers:
                if p is prov or p._model_matcher is None or not p._model_matcher(r):
                    continue
                if (m := self.find_in_provider(p, r)) is not None:
                    return m
        return None
