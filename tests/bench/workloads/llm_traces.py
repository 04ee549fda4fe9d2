"""Realistic LLM traces as OTLP protobuf, for the ingest benchmark's load generators.

A trace: one AGENT root and 5–20 children (LLM calls with model, provider, token usage
and chat messages; tools; retrievers), 10–30 attributes per span, prompts of
200–2,000 characters. Deterministic for a seed.

Generating protobuf costs more CPU than receiving it, and the senders share the machine
with the receiver, so a sender builds a few request *templates* once and then sends each
one many times with fresh trace ids: every trace id is 16 distinctive bytes, replaced in
the serialized request with ``bytes.replace`` (span ids stay, but a (trace id, span id)
pair is new, so the receiver stores every span — dedup keys on the pair).
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass

from tests.support.otlp import key_value

__all__ = ["Template", "build_templates", "fresh_request"]

MODELS = (
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o-2024-08-06"),
    ("anthropic", "claude-3-5-sonnet-20241022"),
    ("openai", "o3-mini"),
)
TOOLS = ("web_search", "calculator", "sql_query", "fetch_url", "python")
WORDS = [
    "the",
    "model",
    "answer",
    "context",
    "document",
    "retrieval",
    "agent",
    "question",
    "summary",
    "source",
    "user",
    "assistant",
    "policy",
    "revenue",
    "quarter",
    "customer",
    "latency",
    "token",
    "budget",
    "cache",
    "report",
    "table",
    "analysis",
    "evidence",
    "citation",
    "paragraph",
    "section",
    "result",
    "step",
    "plan",
]


def _text(rng: random.Random, lo: int, hi: int) -> str:
    n = rng.randint(lo, hi)
    out: list[str] = []
    size = 0
    while size < n:
        w = rng.choice(WORDS)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)[:n]


def _padding(rng: random.Random, have: int, want: int) -> list[object]:
    return [key_value(f"app.meta.{k}", _text(rng, 5, 40)) for k in range(max(0, want - have))]


def _llm_attrs(rng: random.Random, i: int) -> list[object]:
    provider, model = MODELS[rng.randrange(len(MODELS))]
    prompt = _text(rng, 200, 2000)
    answer = _text(rng, 50, 600)
    messages = [{"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": prompt}]  # fmt: skip
    inp = rng.randint(50, 4000)
    attrs = [
        key_value("spanwise.span.type", "LLM"),
        key_value("gen_ai.operation.name", "chat"),
        key_value("gen_ai.system", provider),
        key_value("gen_ai.request.model", model),
        key_value("gen_ai.response.model", model),
        key_value("gen_ai.request.temperature", round(rng.random(), 2)),
        key_value("gen_ai.request.max_tokens", 1024),
        key_value("gen_ai.usage.input_tokens", inp),
        key_value("gen_ai.usage.output_tokens", rng.randint(10, 800)),
        key_value("gen_ai.usage.cache_read.input_tokens", rng.choice((0, 0, inp // 2))),
        key_value("gen_ai.response.finish_reasons", "stop"),
        key_value("gen_ai.response.id", f"chatcmpl-{rng.getrandbits(64):016x}"),
        key_value("spanwise.inputs", json.dumps({"messages": messages})),
        key_value("spanwise.outputs", json.dumps({"role": "assistant", "content": answer})),
    ]
    return attrs + _padding(rng, len(attrs), rng.randint(14, 30))


def _tool_attrs(rng: random.Random, i: int) -> list[object]:
    kind = rng.choice(("TOOL", "RETRIEVER"))
    attrs = [
        key_value("spanwise.span.type", kind),
        key_value("gen_ai.tool.name", rng.choice(TOOLS)),
        key_value("spanwise.inputs", json.dumps({"query": _text(rng, 20, 200)})),
        key_value("spanwise.outputs", json.dumps({"result": _text(rng, 100, 1500)})),
        key_value("tool.duration_ms", rng.randint(1, 900)),
        key_value("tool.success", True),
    ]
    return attrs + _padding(rng, len(attrs), rng.randint(10, 20))


def _trace(rng: random.Random, trace_id: bytes, start: int) -> list[object]:
    from opentelemetry.proto.trace.v1 import trace_pb2

    root = rng.randbytes(8)
    n_children = rng.randint(5, 20)
    root_attrs = [
        key_value("spanwise.span.type", "AGENT"),
        key_value("session.id", f"session-{rng.randrange(1000)}"),
        key_value("user.id", f"user-{rng.randrange(200)}"),
        key_value("spanwise.trace.tags.env", "bench"),
        key_value("spanwise.trace.metadata.release", "2026.11"),
        key_value("spanwise.inputs", json.dumps({"question": _text(rng, 200, 2000)})),
        key_value("spanwise.outputs", json.dumps({"answer": _text(rng, 100, 800)})),
    ]
    root_attrs += _padding(rng, len(root_attrs), rng.randint(10, 16))
    end = start + (n_children + 1) * 2_000_000
    spans = [trace_pb2.Span(trace_id=trace_id, span_id=root, name="agent.run", kind=1,
                            start_time_unix_nano=start, end_time_unix_nano=end,
                            attributes=root_attrs, status=trace_pb2.Status(code=1))]  # fmt: skip
    for i in range(n_children):
        llm = rng.random() < 0.6
        attrs = _llm_attrs(rng, i) if llm else _tool_attrs(rng, i)
        s = start + (i + 1) * 2_000_000
        spans.append(trace_pb2.Span(
            trace_id=trace_id, span_id=rng.randbytes(8), parent_span_id=root,
            name="chat" if llm else "tool.call", kind=3 if llm else 1,
            start_time_unix_nano=s, end_time_unix_nano=s + 1_500_000, attributes=attrs,
            status=trace_pb2.Status(code=1),
        ))  # fmt: skip
    return spans


@dataclass(frozen=True)
class Template:
    body: bytes  # a serialized ExportTraceServiceRequest
    trace_ids: tuple[bytes, ...]  # the placeholder trace ids in ``body``
    spans: int


def build_templates(seed: int, count: int, spans_per_request: int) -> list[Template]:
    """``count`` requests of whole traces, about ``spans_per_request`` spans each."""
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    from opentelemetry.proto.resource.v1 import resource_pb2
    from opentelemetry.proto.trace.v1 import trace_pb2

    rng = random.Random(seed)
    resource = resource_pb2.Resource(attributes=[
        key_value("service.name", "bench-agent"), key_value("telemetry.sdk.language", "python"),
        key_value("telemetry.sdk.name", "opentelemetry"), key_value("telemetry.sdk.version", "1.38.0"),
        key_value("spanwise.project", "bench"),
    ])  # fmt: skip
    now = time.time_ns()
    out = []
    for _ in range(count):
        spans: list[object] = []
        ids: list[bytes] = []
        while len(spans) < spans_per_request:
            tid = os.urandom(16)
            ids.append(tid)
            spans += _trace(rng, tid, now - rng.randrange(60_000_000_000))
        req = trace_service_pb2.ExportTraceServiceRequest(resource_spans=[
            trace_pb2.ResourceSpans(resource=resource, scope_spans=[trace_pb2.ScopeSpans(
                scope={"name": "spanwise", "version": "0.1.0"}, spans=spans)])
        ])  # fmt: skip
        out.append(Template(req.SerializeToString(), tuple(ids), len(spans)))
    return out


def fresh_request(t: Template) -> bytes:
    """``t``'s body with new random trace ids (so the receiver stores it again)."""
    body = t.body
    for tid in t.trace_ids:
        body = body.replace(tid, os.urandom(16))
    return body
