"""Golden costs computed by the real collector at ingest (published prices, by hand)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from decimal import Decimal as D

from click.testing import CliRunner
from spanwise_collector.cli import cli

from .spans import llm, send, span

M = D(1_000_000)


def _one(client, trace_id: bytes):
    trace = client.get_trace(trace_id.hex())
    assert trace is not None
    (s,) = trace.data.spans
    return trace, s


def test_openai_cached_and_reasoning_tokens(collector, client):
    # o1: input $15, cached input $7.50, output $60 per 1M; reasoning is part of output.
    tid = os.urandom(16)
    attrs = llm(
        "o1-2024-12-17", "openai", 2_000, 5_000,
        **{"gen_ai.usage.cache_read.input_tokens": 1_024,
           "gen_ai.usage.reasoning.output_tokens": 4_000},
    )  # fmt: skip
    send(collector.http_url, [span(tid, "chat o1", attrs)])
    trace, s = _one(client, tid)
    assert s.cost_status == "ok"
    assert s.cost_breakdown == {
        "input": 976 * D(15) / M,
        "cached_input": 1_024 * D("7.5") / M,
        "output": 1_000 * D(60) / M,
        "reasoning": 4_000 * D(60) / M,
    }
    assert s.cost == D("0.32232")
    assert s.pricing_version.startswith("genai-prices@")
    assert trace.info.cost == D("0.32232")
    (listed,) = client.search_traces(filter_string=f"trace.id = '{tid.hex()}'")
    assert listed.info.cost == D("0.32232")  # the trace summary agrees


def test_anthropic_cache_read_and_write_both_conventions(collector, client):
    # Claude 3.5 Sonnet: input $3, cache write $3.75, cache read $0.30, output $15.
    semconv = llm(  # GenAI semconv: input_tokens is the total (1_500 + 10_000 + 2_000)
        "claude-3-5-sonnet-20241022", "anthropic", 13_500, 800,
        **{"gen_ai.usage.cache_read.input_tokens": 10_000,
           "gen_ai.usage.cache_creation.input_tokens": 2_000},
    )  # fmt: skip
    native = llm(  # Anthropic's API numbers copied verbatim: input_tokens excludes the cache
        "claude-3-5-sonnet-20241022", "anthropic", 1_500, 800,
        **{"gen_ai.usage.cache_read_input_tokens": 10_000,
           "gen_ai.usage.cache_creation_input_tokens": 2_000},
    )  # fmt: skip
    for attrs in (semconv, native):
        tid = os.urandom(16)
        send(collector.http_url, [span(tid, "anthropic.messages", attrs)])
        _, s = _one(client, tid)
        assert s.input_tokens == 13_500
        assert s.cost_breakdown == {
            "input": D("0.0045"), "cached_input": D("0.003"),
            "cache_write": D("0.0075"), "output": D("0.012"),
        }  # fmt: skip
        assert s.cost == D("0.027")


def test_gemini_tiered_price_above_200k(collector, client):
    # Gemini 2.5 Pro, prompts > 200k tokens: input $2.50, output $15 for all tokens.
    tid = os.urandom(16)
    attrs = llm("gemini-2.5-pro", "gcp.gemini", 250_000, 5_000,
                **{"gen_ai.usage.reasoning.output_tokens": 2_000})  # fmt: skip
    send(collector.http_url, [span(tid, "generate_content", attrs)])
    _, s = _one(client, tid)
    assert s.cost == 250_000 * D("2.50") / M + 5_000 * D(15) / M
    assert s.cost_status == "ok"


def test_openinference_attributes_are_priced(collector, client):
    # gpt-4o-mini: input $0.15, output $0.60 per 1M.
    tid = os.urandom(16)
    attrs = {
        "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini",
        "llm.provider": "openai", "llm.token_count.prompt": 1_000,
        "llm.token_count.completion": 500,
    }  # fmt: skip
    send(collector.http_url, [span(tid, "ChatOpenAI", attrs)])
    _, s = _one(client, tid)
    assert s.cost == D("0.00015") + D("0.0003")


def test_price_version_follows_the_span_timestamp(collector, client):
    # Ministral 8B: $0.10 in/out until 2025-12-01, $0.15 from 2025-12-02.
    tid = os.urandom(16)
    attrs = llm("ministral-8b-latest", "mistral", 1_000_000, 1_000_000)
    before = span(tid, "before", attrs, at=datetime(2025, 12, 1, 23, 59, tzinfo=UTC))
    after = span(tid, "after", attrs, at=datetime(2025, 12, 2, 0, 0, 1, tzinfo=UTC))
    send(collector.http_url, [before, after])
    spans = {s.name: s for s in client.get_trace(tid.hex()).data.spans}
    assert spans["before"].cost == D("0.20")
    assert spans["after"].cost == D("0.30")
    assert spans["before"].pricing_version == "genai-prices@1970-01-01"
    assert spans["after"].pricing_version == "genai-prices@2025-12-02"


def test_unknown_model_keeps_tokens_and_is_listed(collector, client):
    frequent, rare = f"acme-{uuid.uuid4().hex[:8]}", f"acme-{uuid.uuid4().hex[:8]}"
    tid = os.urandom(16)
    spans = [span(tid, f"call {n}", llm(frequent, "acme", 100, 10)) for n in range(3)]
    spans.append(span(tid, "rare", llm(rare, "acme", 7, 1)))
    spans.append(
        span(tid, "tool", {"spanwise.span.type": "TOOL", "gen_ai.request.model": frequent})
    )
    send(collector.http_url, spans)
    trace = client.get_trace(tid.hex())
    call = next(s for s in trace.data.spans if s.name == "call 0")
    assert (call.input_tokens, call.output_tokens) == (100, 10)
    assert call.cost is None and call.cost_status == "unknown_model"
    tool = next(s for s in trace.data.spans if s.name == "tool")
    assert tool.cost_status is None  # not a model call: not priced, not listed
    assert trace.info.cost is None  # never $0
    result = CliRunner().invoke(
        cli, ["pricing", "unknown", "--url", collector.http_url, "--json", "--since", "2025-01-01"]
    )
    assert result.exit_code == 0, result.output
    import json

    models = [m for m in json.loads(result.output)["models"] if m["model"] in (frequent, rare)]
    assert [(m["model"], m["calls"], m["input_tokens"]) for m in models] == [
        (frequent, 3, 300),
        (rare, 1, 7),
    ]
    table = CliRunner().invoke(
        cli, ["pricing", "unknown", "--url", collector.http_url, "--since", "2025-01-01"]
    )
    assert frequent in table.output
