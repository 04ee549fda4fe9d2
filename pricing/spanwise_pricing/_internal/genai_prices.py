"""Convert genai-prices' provider data into our price-file format (plain dicts).

What is carried over: provider identification (``provider_match``, ``model_match``,
``api_pattern``, ``fallback_model_providers``), model match rules (top-level ``equals`` become
``aliases``), and dated prices for the usage types Spanwise prices. What is not (and why):
time-of-day discounts (DeepSeek off-peak) and request-context variants (batch/flex/priority
service tiers) — a span does not tell us either, so the standard price is used; prices for
units we do not meter (web searches, images, audio seconds, characters) are dropped, and a
model left with no token or request price is skipped rather than priced at 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from spanwise_pricing.table import EPOCH

__all__ = ["OTEL_PROVIDER_ALIASES", "SOURCE", "convert_providers", "fmt_decimal", "load_source"]

SOURCE = "genai-prices"

# OpenTelemetry `gen_ai.system` / `gen_ai.provider.name` values (and common spellings) that do
# not already resolve through genai-prices' own provider rules. Checked before those rules, so
# `az.ai.openai` is Azure, not OpenAI.
OTEL_PROVIDER_ALIASES: dict[str, tuple[str, ...]] = {
    "azure": (
        "az.ai.openai",
        "azure.ai.openai",
        "az.ai.inference",
        "azure.ai.inference",
        "azure_openai",
        "azure-openai",
        "azure.openai",
        "azure_ai",
    ),
    "google": ("gcp.gemini", "gcp.vertex_ai", "gcp.gen_ai", "vertex_ai", "vertexai", "gemini"),
    "aws": ("aws.bedrock", "bedrock"),
    "mistral": ("mistral_ai",),
    "x-ai": ("x_ai", "xai"),
}

# genai-prices price key → (our key, divisor). `requests_kcount` is USD per 1000 requests.
_KEY_MAP: dict[str, tuple[str, int]] = {
    "input_mtok": ("input", 1),
    "cache_read_mtok": ("cached_input", 1),
    "cache_write_mtok": ("cache_write", 1),
    "output_mtok": ("output", 1),
    "output_reasoning_mtok": ("reasoning", 1),
    "input_audio_mtok": ("audio_input", 1),
    "output_audio_mtok": ("audio_output", 1),
    "requests_kcount": ("request", 1000),
}
# Used only when the key above is absent (e.g. a 5-minute cache write is the standard write).
_FALLBACK_KEYS = {
    "cache_write_5m_mtok": "cache_write_mtok",
    "input_text_mtok": "input_mtok",
    "output_text_mtok": "output_mtok",
}


def fmt_decimal(d: Decimal) -> str:
    """Plain notation (no exponent), as reviewers read prices."""
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def load_source(file: str | None) -> tuple[list[Any], str]:
    """genai-prices providers from the installed package, or from a data.json file."""
    try:
        import genai_prices
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("the genai-prices package is needed: pip install genai-prices") from exc
    if file is None:
        from genai_prices.data import providers

        return list(providers), f"{SOURCE} {genai_prices.__version__}"
    import json

    from genai_prices.types import _providers_from_raw  # the parser genai-prices' updater uses

    with open(file, encoding="utf-8") as fh:
        raw = json.load(fh)
    if not isinstance(raw, list):
        raise ValueError(f"{file}: expected a genai-prices data.json (a list of providers)")
    return _providers_from_raw(raw), f"{SOURCE} data file {file}"


def _clause(c: Any) -> dict[str, Any]:
    name = type(c).__name__
    if name == "ClauseOr":
        return {"or": [_clause(x) for x in c.or_]}
    if name == "ClauseAnd":
        return {"and": [_clause(x) for x in c.and_]}
    kind = {
        "ClauseEquals": "equals",
        "ClauseStartsWith": "starts_with",
        "ClauseEndsWith": "ends_with",
        "ClauseContains": "contains",
        "ClauseRegex": "regex",
    }[name]
    return {kind: getattr(c, kind)}


def _split_match(model_id: str, match: Any) -> tuple[list[str], dict[str, Any] | None]:
    """Top-level `equals` clauses become aliases; the rest stays a pattern clause."""
    clauses = match.or_ if type(match).__name__ == "ClauseOr" else [match]
    aliases: list[str] = []
    rest: list[dict[str, Any]] = []
    for c in clauses:
        if type(c).__name__ == "ClauseEquals":
            if c.equals.lower() != model_id.lower() and c.equals not in aliases:
                aliases.append(c.equals)
        else:
            rest.append(_clause(c))
    pattern = None if not rest else rest[0] if len(rest) == 1 else {"or": rest}
    return aliases, pattern


def _prices(model_price: Any) -> dict[str, Any]:
    """One genai-prices ModelPrice → {our_key: str, ..., 'tiers': [...]} (tiers grouped by start)."""
    values = {k: v for k, v in vars(model_price).items() if v is not None and not k.startswith("_")}
    for alt, main in _FALLBACK_KEYS.items():
        if main not in values and alt in values:
            values[main] = values[alt]
    out: dict[str, Any] = {}
    tiers: dict[int, dict[str, str]] = {}
    for src_key, (key, divisor) in _KEY_MAP.items():
        value = values.get(src_key)
        if value is None:
            continue
        if type(value).__name__ == "TieredPrices":
            out[key] = fmt_decimal(value.base / divisor)
            for tier in value.tiers:
                tiers.setdefault(int(tier.start), {})[key] = fmt_decimal(tier.price / divisor)
        else:
            out[key] = fmt_decimal(Decimal(value) / divisor)
    if tiers:
        out["tiers"] = [{"above_input_tokens": start, **p} for start, p in sorted(tiers.items())]
    return out


def _versions(model: Any) -> list[dict[str, Any]]:
    if type(model.prices).__name__ == "ModelPrice":
        dated: list[tuple[date, Any]] = [(EPOCH, model.prices)]
    else:
        dated = []
        for cp in model.prices:
            kind = type(cp.constraint).__name__
            if kind == "TimeOfDateConstraint":
                continue
            start = cp.constraint.start_date if kind == "StartDateConstraint" else EPOCH
            # The first price also covers calls before its date (genai-prices' rule).
            dated.append((EPOCH if not dated else start, cp.prices))
    out: list[dict[str, Any]] = []
    for valid_from, model_price in dated:
        prices = _prices(model_price)
        if not prices or (out and valid_from <= out[-1]["valid_from"]):
            continue
        if (
            out
            and {k: v for k, v in out[-1].items() if k not in ("valid_from", "version")} == prices
        ):
            continue  # the change was in a unit we do not price
        out.append(
            {"valid_from": valid_from, "version": f"{SOURCE}@{valid_from.isoformat()}", **prices}
        )
    return out


def convert_providers(providers: Iterable[Any]) -> list[dict[str, Any]]:
    """genai-prices Provider objects → our provider-file dicts, models without prices left out."""
    out = []
    for p in providers:
        models = []
        for m in p.models:
            versions = _versions(m)
            if not versions:
                continue
            aliases, pattern = _split_match(m.id, m.match)
            entry: dict[str, Any] = {"id": m.id}
            if m.name:
                entry["name"] = m.name
            if aliases:
                entry["aliases"] = aliases
            if pattern:
                entry["match"] = pattern
            entry["prices"] = versions
            models.append(entry)
        doc: dict[str, Any] = {"provider": p.id, "name": p.name, "source": SOURCE}
        if p.id in OTEL_PROVIDER_ALIASES:
            doc["aliases"] = list(OTEL_PROVIDER_ALIASES[p.id])
        if p.provider_match is not None:
            doc["provider_match"] = _clause(p.provider_match)
        if p.model_match is not None:
            doc["model_match"] = _clause(p.model_match)
        if p.api_pattern:
            doc["api_pattern"] = p.api_pattern
        if p.fallback_model_providers:
            doc["fallback_providers"] = list(p.fallback_model_providers)
        if p.pricing_urls:
            doc["pricing_urls"] = list(p.pricing_urls)
        doc["models"] = models
        out.append(doc)
    return out
