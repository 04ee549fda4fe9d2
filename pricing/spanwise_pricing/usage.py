"""What a call used (`Usage`) and what it cost (`CostResult`).

How to fill `Usage` — one rule for every provider: **totals with subsets**.

* ``input_tokens`` is the TOTAL number of input (prompt) tokens of the call, including cached
  reads, cache writes and audio. ``cached_input_tokens``, ``cache_write_tokens`` and
  ``audio_input_tokens`` are disjoint parts of it (audio = uncached audio tokens).
* ``output_tokens`` is the TOTAL number of output (completion) tokens, including reasoning and
  audio output. ``reasoning_tokens`` and ``audio_output_tokens`` are disjoint parts of it.

Each part is priced at its own rate and the remainder at the plain input/output rate, so no
token is ever counted twice. A part larger than its total is an error (``invalid_usage``),
which is how a normaliser that forgot to add Anthropic's cache tokens gets caught.

How providers report usage, and how it maps:

* **OpenAI** (chat completions / responses): ``prompt_tokens`` already includes
  ``prompt_tokens_details.cached_tokens`` (cached tokens are a SUBSET); ``completion_tokens``
  already includes ``completion_tokens_details.reasoning_tokens`` (o1, o3-mini, gpt-5…) and
  ``audio_tokens``. Map them one to one: ``input_tokens=prompt_tokens``,
  ``cached_input_tokens=cached_tokens``, ``output_tokens=completion_tokens``,
  ``reasoning_tokens=reasoning_tokens``. Reasoning tokens are billed at the output rate unless
  the model has a separate ``reasoning`` price; they are never added on top of output.
* **Anthropic** (messages API): ``input_tokens`` EXCLUDES ``cache_read_input_tokens`` and
  ``cache_creation_input_tokens``, which are reported beside it. The normaliser adds them:
  ``input_tokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens``,
  ``cached_input_tokens = cache_read_input_tokens``,
  ``cache_write_tokens = cache_creation_input_tokens``. (The OpenTelemetry GenAI convention's
  ``gen_ai.usage.input_tokens`` is defined the same way: all input tokens, cached included.)
* **Google Gemini**: ``prompt_token_count`` includes ``cached_content_token_count`` (a subset,
  like OpenAI); ``candidates_token_count`` EXCLUDES ``thoughts_token_count``, so
  ``output_tokens = candidates_token_count + thoughts_token_count`` and
  ``reasoning_tokens = thoughts_token_count``. Gemini Pro models are tiered: above 200k input
  tokens (128k for 1.5 Pro) every token of the call is billed at the higher tier price; the
  threshold is compared with the total ``input_tokens``.
* **Other OpenAI-compatible servers** (vLLM, Ollama, Groq, Together, DeepSeek…) report the
  OpenAI shape; DeepSeek's ``prompt_cache_hit_tokens`` is the cached subset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Literal

__all__ = ["MAX_TOKENS", "CostResult", "CostStatus", "Usage"]

CostStatus = Literal["ok", "unknown_model", "no_usage", "invalid_usage"]

# More tokens than any model accepts in one call: a counter bug, not a bill.
MAX_TOKENS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one LLM call; see the module docstring for how to fill it."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    audio_input_tokens: int = 0
    audio_output_tokens: int = 0

    def problem(self) -> str | None:
        """Why these counts cannot be priced, or None when they are consistent."""
        for name in _FIELDS:
            value = getattr(self, name)
            if type(value) is not int:  # bool and float are refused on purpose
                return f"{name} must be an int, got {type(value).__name__}"
            if value < 0 or value > MAX_TOKENS:
                return f"{name}={value} is out of range [0, {MAX_TOKENS}]"
        in_parts = self.cached_input_tokens + self.cache_write_tokens + self.audio_input_tokens
        if in_parts > self.input_tokens:
            return (
                f"cached_input + cache_write + audio_input tokens ({in_parts}) exceed "
                f"input_tokens ({self.input_tokens}); input_tokens must be the total"
            )
        out_parts = self.reasoning_tokens + self.audio_output_tokens
        if out_parts > self.output_tokens:
            return (
                f"reasoning + audio_output tokens ({out_parts}) exceed output_tokens "
                f"({self.output_tokens}); output_tokens must be the total"
            )
        return None

    def is_empty(self) -> bool:
        return self.input_tokens == 0 and self.output_tokens == 0


_FIELDS = tuple(f.name for f in fields(Usage))


@dataclass(frozen=True, slots=True)
class CostResult:
    """The cost of one call, or why there is none.

    ``status``: ``"ok"`` (``total`` is set, possibly an intentional 0 from an override),
    ``"unknown_model"`` (no price for this provider/model at that time), ``"no_usage"``
    (the model is known but the call reported no tokens) or ``"invalid_usage"`` (negative,
    absurd or inconsistent counts). ``total`` is None unless the status is ok: an unknown
    model is never a silent 0. ``breakdown`` maps usage types (``input``, ``cached_input``,
    ``cache_write``, ``output``, ``reasoning``, ``audio_input``, ``audio_output``,
    ``request``) to USD. ``provider`` is the provider whose price table was applied (for an
    Azure call priced from OpenAI's table this is ``openai``); ``price_version`` identifies the
    exact price entry (``<source>@<valid_from>``); ``detail`` says why, for non-ok statuses.
    """

    status: CostStatus
    total: Decimal | None = None
    breakdown: Mapping[str, Decimal] = field(default_factory=dict, hash=False)
    model_id: str | None = None
    provider: str | None = None
    price_version: str | None = None
    detail: str = ""
