"""Spans/s of the ingest pricing stage on a 10k-span batch (not a test; run by hand).

    python tests/bench/bench_pricing_processor.py [--store chdb:///tmp/x]

Batch: 1,000 traces x 10 spans; 4 of each trace's spans are LLM calls with usage (5 models,
one unknown), one LLM span is a framework span wrapping a client span (count-once rule).
Measures `PricingProcessor.process` alone (no store) and with the store lookup (real chDB,
the traces' earlier spans stored), best of 5.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time

from spanwise_collector.costs import PricingProcessor
from spanwise_collector.pipeline.batch import SpanBatch
from spanwise_pricing import PriceBook

MODELS = [("openai", "gpt-4o-mini"), ("openai", "gpt-4o-2024-08-06"),
          ("anthropic", "claude-3-5-sonnet-20241022"), ("gcp.gemini", "gemini-2.5-pro"),
          ("acme", "unknown-model-7")]  # fmt: skip
AT = 1_760_000_000_000_000_000


def make_batch(traces: int = 1_000) -> SpanBatch:
    b = SpanBatch()
    rows = []
    for t in range(traces):
        tid = os.urandom(16).hex()
        ids = [os.urandom(8).hex() for _ in range(10)]
        for n in range(10):
            llm = n in (3, 4, 6, 8)
            provider, model = MODELS[(t + n) % len(MODELS)] if llm else ("", "")
            parent = "" if n == 0 else ids[3] if n == 4 else ids[0]
            rows.append((tid, ids[n], parent, "LLM" if llm else "CHAIN", provider, model, llm))
    defaults = {c: "" for c in b.columns}
    for tid, sid, parent, typ, provider, model, llm in rows:
        values = dict(defaults)
        values.update(TraceId=tid, SpanId=sid, ParentSpanId=parent, SpanType=typ,
                      Provider=provider, Model=model, Project="bench", Timestamp=AT,
                      InputTokens=1_200 if llm else 0, OutputTokens=300 if llm else 0,
                      CachedTokens=512 if llm else 0, CacheWriteTokens=0,
                      ReasoningTokens=100 if llm else 0, Cost=None, CostBreakdown=[],
                      Duration=0, ResourceAttributes=[], SpanAttributes=[], TraceTags=[],
                      TraceMetadata=[], **{k: [] for k in b.columns if "." in k})  # fmt: skip
        for c in b.columns:
            b.columns[c].append(values[c])
    return b


def run(processor: PricingProcessor, batch: SpanBatch, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        fresh = copy.deepcopy(batch)
        processor._recent.clear()
        t0 = time.perf_counter()
        processor.process(fresh)
        best = min(best, time.perf_counter() - t0)
    return len(batch) / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default=None)
    args = parser.parse_args()
    book = PriceBook.builtin()
    batch = make_batch()
    print(f"batch: {len(batch)} spans, {sum(t == 'LLM' for t in batch.columns['SpanType'])} LLM")
    print(f"pricing only (no store):        {run(PricingProcessor(book), batch):,.0f} spans/s")
    from spanwise_collector.store import open_store

    store = open_store(args.store or f"chdb://{tempfile.mkdtemp(prefix='bench-pricing-')}")
    store.insert_arrow("otel_traces", batch.to_arrow())  # earlier spans of the same traces
    with_store = run(PricingProcessor(book, store), batch)
    print(f"with the store lookup (chDB):   {with_store:,.0f} spans/s")
    store.close()


if __name__ == "__main__":
    sys.exit(main())
