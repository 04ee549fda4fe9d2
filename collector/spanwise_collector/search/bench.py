"""Reference search queries at scale, for tests/bench and quick local checks.

    store = open_store("chdb:///tmp/search-bench")
    load_synthetic(store, 1_000_000)           # LLM-like traces over the last 7 days
    run_queries(store, repeats=20)             # {"trace_by_id": [seconds, ...], ...}

    python -m spanwise_collector.search.bench --store /tmp/search-bench --spans 1000000

Spans go straight into the store as SpanBatch columns (insert_arrow), skipping OTLP, so
loading measures nothing but the store. Query parameters vary between repetitions so
ClickHouse's query condition cache cannot answer from a previous identical query.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..pipeline.batch import SpanBatch
from ..query.traces import get_trace
from ..store import ClickHouseStore
from .analytics import analytics
from .traces import search_traces

__all__ = ["MODELS", "load_synthetic", "main", "run_queries"]

MODELS = (("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-3-5-sonnet", "anthropic"),
          ("claude-3-5-haiku", "anthropic"), ("gemini-1.5-pro", "google"),
          ("gemini-1.5-flash", "google"))  # fmt: skip
_WORDS = ["order", "refund", "shipping", "invoice", "account", "password", "weather", "flight", "hotel", "booking", "summary", "translate", "python", "error", "database", "query", "customer", "support", "agent", "tool", "search", "result", "answer", "question", "please", "thanks", "latency", "budget"]  # fmt: skip
_SPANS_PER_TRACE = 8


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(_WORDS, k=n))


def load_synthetic(
    store: ClickHouseStore, n_spans: int, days: int = 7, project: str = "bench",
    batch_rows: int = 50_000, seed: int = 0,
) -> list[str]:  # fmt: skip
    """Insert about `n_spans` spans (traces of 8: agent root, 4 LLM calls, 3 tools) with
    start times spread over the last `days`; returns a sample of 1,000 trace ids."""
    rng = random.Random(seed)
    now_ns = time.time_ns()
    span_ns = days * 86_400 * 10**9
    sample: list[str] = []
    gc.freeze()  # building big batches under GC is 3-9x slower (chdb-findings.md)
    try:
        batch = SpanBatch()
        for t in range(max(1, n_spans // _SPANS_PER_TRACE)):
            trace_id = f"{rng.getrandbits(128):032x}"
            if len(sample) < 1000 and rng.random() < 0.01:
                sample.append(trace_id)
            _add_trace(batch, rng, trace_id, now_ns - rng.randrange(span_ns), project, t)
            if len(batch) >= batch_rows:
                store.insert_arrow("otel_traces", batch.to_arrow())
                batch = SpanBatch()
        if len(batch):
            store.insert_arrow("otel_traces", batch.to_arrow())
    finally:
        gc.unfreeze()
    return sample


def _add_trace(batch: SpanBatch, rng: random.Random, trace_id: str, start: int, project: str,
               n: int) -> None:  # fmt: skip
    c = batch.columns
    if not batch.resources:
        batch.resources.append([("service.name", "bench")])
    offsets, attr_keys, attr_values = batch.attributes
    root = f"{rng.getrandbits(64):016x}"
    session, user = f"s{n // 5}", f"u{n % 997}"
    error_trace = rng.random() < 0.03
    offset = 0
    for i in range(_SPANS_PER_TRACE):
        span_id = root if i == 0 else f"{rng.getrandbits(64):016x}"
        is_llm = 1 <= i <= 4
        model, provider = rng.choice(MODELS) if is_llm else ("", "")
        duration = rng.randrange(5, 3000) * 10**6 if i else 4000 * 10**6
        tokens_in, tokens_out = (
            (rng.randrange(50, 4000), rng.randrange(10, 800)) if is_llm else (0, 0)
        )
        cost = Decimal(tokens_in * 2500 + tokens_out * 10_000).scaleb(-9) if is_llm else None
        c["Timestamp"].append(
            datetime.fromtimestamp((start + offset) / 1e9, tz=UTC).replace(tzinfo=None)
        )
        c["TraceId"].append(trace_id)
        c["SpanId"].append(span_id)
        c["ParentSpanId"].append("" if i == 0 else root)
        c["TraceState"].append("")
        c["SpanName"].append("agent" if i == 0 else ("chat" if is_llm else f"tool-{i}"))
        c["SpanKind"].append("SPAN_KIND_INTERNAL")
        c["ServiceName"].append("bench")
        batch.resource_of.append(0)
        c["ScopeName"].append("spanwise")
        c["ScopeVersion"].append("0")
        if is_llm:
            attr_keys.append("gen_ai.request.model")
            attr_values.append(model)
        offsets.append(len(attr_keys))
        c["Duration"].append(duration)
        c["StatusCode"].append("Error" if error_trace and i in (0, 5) else "Unset")
        c["StatusMessage"].append("")
        for name in ("Events.Timestamp", "Events.Name", "Events.Attributes", "Links.TraceId",
                     "Links.SpanId", "Links.TraceState", "Links.Attributes"):  # fmt: skip
            c[name].append([])
        c["Project"].append(project)
        c["SpanType"].append("AGENT" if i == 0 else ("LLM" if is_llm else "TOOL"))
        # A rare token per prompt (a ticket number) gives the text search selective hits.
        prompt = f"{_text(rng, rng.randrange(30, 300))} ticket-{rng.randrange(10**7):07d}"
        c["Input"].append(prompt if is_llm or i == 0 else "")
        c["Output"].append(_text(rng, rng.randrange(10, 100)) if is_llm or i == 0 else "")
        c["Model"].append(model)
        c["Provider"].append(provider)
        c["InputTokens"].append(tokens_in)
        c["OutputTokens"].append(tokens_out)
        for name in ("CachedTokens", "CacheWriteTokens", "ReasoningTokens"):
            c[name].append(0)
        c["Cost"].append(cost)
        c["CostBreakdown"].append([])
        c["CostStatus"].append("ok" if is_llm else "")
        c["PricingVersion"].append("bench" if is_llm else "")
        c["SessionId"].append(session if i == 0 else "")
        c["UserId"].append(user if i == 0 else "")
        c["RunId"].append("")
        c["TraceTags"].append([("env", rng.choice(("prod", "staging")))] if i == 0 else [])
        c["TraceMetadata"].append([])
        c["ParentRemote"].append(0)
        offset += duration // 4


def _timed(fn: Callable[[int], Any], repeats: int) -> list[float]:
    out = []
    for i in range(repeats):
        began = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - began)
    return out


def run_queries(
    store: ClickHouseStore, trace_ids: list[str] | None = None, repeats: int = 20,
    project: str = "bench", seed: int = 1,
) -> dict[str, list[float]]:  # fmt: skip
    """Seconds per run of: one trace by id; a filtered search page (model = X and cost > Y
    in the last day, newest 100); a day x model cost rollup over 7 days; a text search."""
    rng = random.Random(seed)
    if not trace_ids:
        rows = store.query("SELECT DISTINCT TraceId FROM otel_traces LIMIT 1000")
        trace_ids = [r[0] for r in rows]
    now = datetime.now(UTC)

    def by_id(i: int) -> None:
        assert get_trace(store, rng.choice(trace_ids)) is not None

    def page(i: int) -> None:
        model = MODELS[i % len(MODELS)][0]
        search_traces(store, filter=f"span.model = '{model}' AND span.cost > 0.00{1 + i % 9}",
                      since=now - timedelta(days=1, seconds=i), max_results=100,
                      project=project)  # fmt: skip

    def rollup(i: int) -> None:
        analytics(store, group_by=["day", "model"], metrics=["count", "cost"], level="span",
                  since=now - timedelta(days=7, seconds=i), project=project)  # fmt: skip

    def text(i: int) -> None:
        word = f"TICKET-{rng.randrange(10**7):07d}"  # case-insensitive, mostly a miss
        search_traces(store, filter=f"trace.text = '{word}'", since=now - timedelta(days=1),
                      max_results=100, project=project)  # fmt: skip

    return {
        "trace_by_id": _timed(by_id, repeats),
        "filtered_search_page": _timed(page, repeats),
        "day_model_cost_rollup": _timed(rollup, repeats),
        "text_search_page": _timed(text, repeats),
    }


def main() -> None:
    from ..store import open_store

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="a chdb directory or ClickHouse URL")
    parser.add_argument("--spans", type=int, default=0, help="load this many synthetic spans")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    store = open_store(args.store)
    sample = None
    if args.spans:
        began = time.perf_counter()
        sample = load_synthetic(store, args.spans)
        took = time.perf_counter() - began
        print(f"loaded {args.spans} spans in {took:.1f} s ({args.spans / took:,.0f} spans/s)")
    results = run_queries(store, sample, repeats=args.repeats)
    summary = {k: {"p50_ms": round(statistics.median(v) * 1000, 1),
                   "max_ms": round(max(v) * 1000, 1)} for k, v in results.items()}  # fmt: skip
    print(json.dumps({"spans": store.query("SELECT count() FROM otel_traces")[0][0],
                      "pid": os.getpid(), **summary}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
