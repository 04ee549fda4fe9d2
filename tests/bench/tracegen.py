"""A deterministic corpus of realistic LLM traces as OTLP requests, for the query and
storage benchmarks (4 and 5): every system is loaded with the same traces.

Trace ``i`` of a corpus is a pure function of ``(seed, i)``: an AGENT root and 5–20
children (LLM calls ~50%, tools ~30%, retrievers ~20%), 10–30 attributes per span
(GenAI semconv ``gen_ai.*`` plus OpenInference ``llm.*``/``input.value`` so every
system recognises LLM spans and their usage), prompts of 200–2,000 characters, start
times spread uniformly over the last ``days``. Text is drawn from a Zipf-weighted
vocabulary of a few thousand made-up words, so it compresses about like prose instead
of like a repeated template (bytes per span would otherwise flatter every system).

Because ids and contents derive from the index, a query workload can pick random
trace ids (``trace_id(seed, i)``) without a list, and a peer loaded with the first K
traces holds exactly the same spans as Spanwise's first K.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.support.otlp import key_value

__all__ = ["MODELS", "Corpus", "trace_id"]

# (provider, model): all priced by spanwise_pricing's built-in tables.
MODELS = (
    ("openai", "gpt-4o-2024-08-06"),
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-3-5-sonnet-20241022"),
    ("anthropic", "claude-3-5-haiku-20241022"),
    ("google", "gemini-1.5-pro"),
    ("openai", "o3-mini"),
)
_MODEL_WEIGHTS = (30, 30, 15, 10, 10, 5)
TOOLS = ("web_search", "calculator", "sql_query", "fetch_url", "python", "send_email")
_AGENTS = ("support-agent", "research-agent", "sql-agent", "triage-agent", "writer-agent")
_SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "te",
    "vo",
    "zi",
    "an",
    "el",
    "is",
    "or",
    "um",
    "pra",
    "sto",
    "gre",
    "bli",
    "qua",
    "fen",
    "dor",
    "lux",
    "ter",
    "vin",
]


def _vocabulary(n: int = 4000) -> tuple[list[str], list[float]]:
    rng = random.Random(12345)
    words = sorted({"".join(rng.choices(_SYLLABLES, k=rng.randint(1, 4))) for _ in range(n * 2)})
    rng.shuffle(words)
    words = words[:n]
    cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(words))))  # Zipf
    return words, cum


_WORDS, _CUM = _vocabulary()
_SYSTEM_PROMPTS = [
    " ".join(random.Random(s).choices(_WORDS, cum_weights=_CUM, k=60)) for s in range(24)
]


def _digest(*parts: object, size: int) -> bytes:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=size).digest()


def trace_id(seed: int, i: int) -> str:
    """Hex trace id of trace ``i`` (what every system's API accepts)."""
    return _digest(seed, i, size=16).hex()


_POOL_CHARS = 32 * 2**20
_pool: str = ""


def _text(rng: random.Random, chars: int) -> str:
    """A slice of a 32 MiB pool of Zipf text: far cheaper than drawing words per span, and
    large enough that two slices rarely overlap within one compression block."""
    global _pool
    if not _pool:
        gen = random.Random(777)
        _pool = " ".join(gen.choices(_WORDS, cum_weights=_CUM, k=_POOL_CHARS // 6))
    at = rng.randrange(len(_pool) - chars - 16)
    at = _pool.find(" ", at) + 1
    return _pool[at : at + chars]


@dataclass(frozen=True)
class Corpus:
    seed: int
    now_ns: int  # newest start time; traces start in [now - days, now)
    days: int = 7
    project: str = "bench"
    service: str = "bench-app"

    def trace_id(self, i: int) -> str:
        return trace_id(self.seed, i)

    def requests(self, start: int, stop: int, traces_per_request: int = 40) -> Iterator[Any]:
        """ExportTraceServiceRequest objects for traces [start, stop)."""
        for lo in range(start, stop, traces_per_request):
            yield self.request(range(lo, min(stop, lo + traces_per_request)))

    def request(self, indices: range) -> Any:
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
        from opentelemetry.proto.common.v1 import common_pb2
        from opentelemetry.proto.resource.v1 import resource_pb2
        from opentelemetry.proto.trace.v1 import trace_pb2

        resource = resource_pb2.Resource(
            attributes=[
                key_value("service.name", self.service),
                key_value("telemetry.sdk.language", "python"),
                key_value("deployment.environment", "prod"),
            ]
        )
        spans: list[Any] = []
        for i in indices:
            spans.extend(self._trace(i, trace_pb2))
        scope = trace_pb2.ScopeSpans(
            scope=common_pb2.InstrumentationScope(name="bench.tracegen", version="1"),
            spans=spans,
        )
        return trace_service_pb2.ExportTraceServiceRequest(
            resource_spans=[trace_pb2.ResourceSpans(resource=resource, scope_spans=[scope])]
        )

    def spans_in(self, start: int, stop: int) -> int:
        """How many spans traces [start, stop) hold (cheap: no text generated)."""
        return sum(1 + random.Random(_digest(self.seed, i, "n", size=8)).randint(5, 20)
                   for i in range(start, stop))  # fmt: skip

    # -- one trace ---------------------------------------------------------------------
    def _trace(self, i: int, pb: Any) -> list[Any]:
        n_children = random.Random(_digest(self.seed, i, "n", size=8)).randint(5, 20)
        rng = random.Random(_digest(self.seed, i, "body", size=16))
        tid = _digest(self.seed, i, size=16)
        root_id = _digest(self.seed, i, 0, size=8)
        window = self.days * 86_400 * 10**9
        start = self.now_ns - 60 * 10**9 - rng.randrange(window)
        agent = rng.choice(_AGENTS)
        session = f"sess-{i // 6:08d}"
        user = f"user-{rng.randrange(5000):05d}"
        question = _text(rng, rng.randint(200, 2000))
        error = rng.random() < 0.03
        spans: list[Any] = []
        t = start + rng.randrange(1, 20) * 10**6
        for j in range(1, n_children + 1):
            kind = rng.choices(("LLM", "TOOL", "RETRIEVER"), weights=(5, 3, 2))[0]
            span_id = _digest(self.seed, i, j, size=8)
            if kind == "LLM":
                attrs, dur = self._llm(rng, question, j)
                name = "chat " + attrs["gen_ai.request.model"]
            elif kind == "TOOL":
                attrs, dur = self._tool(rng)
                name = attrs["tool.name"]
            else:
                attrs, dur = self._retriever(rng)
                name = "retrieve"
            failed = error and j == n_children
            spans.append(_span(pb, tid, span_id, root_id, name, t, t + dur, attrs, failed))
            t += dur + rng.randrange(1, 30) * 10**6
        root_attrs = {
            "openinference.span.kind": "AGENT",
            "spanwise.span.type": "AGENT",
            "session.id": session,
            "user.id": user,
            "input.value": json.dumps({"question": question}),
            "input.mime_type": "application/json",
            "output.value": _text(rng, rng.randint(100, 1200)),
            "output.mime_type": "text/plain",
            "agent.name": agent,
            "spanwise.trace.tags.env": rng.choice(("prod", "prod", "staging")),
            "spanwise.trace.tags.release": f"v1.{rng.randrange(40)}",
        }
        root = _span(pb, tid, root_id, b"", agent, start, t, root_attrs, error)
        return [root, *spans]

    def _llm(self, rng: random.Random, question: str, step: int) -> tuple[dict[str, Any], int]:
        provider, model = rng.choices(MODELS, weights=_MODEL_WEIGHTS)[0]
        system = rng.choice(_SYSTEM_PROMPTS)
        user = question if step == 1 else _text(rng, rng.randint(200, 2000))
        answer = _text(rng, rng.randint(50, 1500))
        tin = (len(system) + len(user)) // 4 + rng.randrange(0, 6000)
        tout = len(answer) // 4 + rng.randrange(0, 400)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        attrs: dict[str, Any] = {
            "openinference.span.kind": "LLM",
            "gen_ai.operation.name": "chat",
            "gen_ai.system": provider,
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": model,
            "gen_ai.response.model": model,
            "gen_ai.request.temperature": round(rng.choice((0.0, 0.2, 0.7, 1.0)), 1),
            "gen_ai.request.max_tokens": rng.choice((256, 512, 1024, 4096)),
            "gen_ai.response.id": f"chatcmpl-{rng.getrandbits(96):024x}",
            "gen_ai.response.finish_reasons": json.dumps(["stop"]),
            "gen_ai.usage.input_tokens": tin,
            "gen_ai.usage.output_tokens": tout,
            "llm.model_name": model,
            "llm.provider": provider,
            "llm.token_count.prompt": tin,
            "llm.token_count.completion": tout,
            "llm.token_count.total": tin + tout,
            "input.value": json.dumps({"messages": messages}),
            "input.mime_type": "application/json",
            "output.value": answer,
            "output.mime_type": "text/plain",
        }
        if rng.random() < 0.3:
            attrs["gen_ai.usage.cache_read.input_tokens"] = rng.randrange(0, tin // 2 + 1)
        return attrs, rng.randrange(300, 8000) * 10**6

    def _tool(self, rng: random.Random) -> tuple[dict[str, Any], int]:
        tool = rng.choice(TOOLS)
        return {
            "openinference.span.kind": "TOOL",
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": tool,
            "tool.name": tool,
            "gen_ai.tool.call.id": f"call_{rng.getrandbits(64):016x}",
            "input.value": json.dumps({"query": _text(rng, rng.randint(20, 200))}),
            "input.mime_type": "application/json",
            "output.value": _text(rng, rng.randint(100, 1500)),
            "output.mime_type": "text/plain",
            "tool.description": f"{tool} tool",
        }, rng.randrange(5, 2000) * 10**6

    def _retriever(self, rng: random.Random) -> tuple[dict[str, Any], int]:
        attrs: dict[str, Any] = {
            "openinference.span.kind": "RETRIEVER",
            "input.value": _text(rng, rng.randint(20, 200)),
            "retrieval.top_k": 3,
            "db.system": "pgvector",
        }
        for d in range(3):
            attrs[f"retrieval.documents.{d}.document.id"] = f"doc-{rng.randrange(100000)}"
            attrs[f"retrieval.documents.{d}.document.score"] = round(rng.random(), 4)
            attrs[f"retrieval.documents.{d}.document.content"] = _text(rng, rng.randint(100, 600))
        return attrs, rng.randrange(10, 400) * 10**6


def _span(pb: Any, tid: bytes, sid: bytes, parent: bytes, name: str, start: int,
          end: int, attrs: dict[str, Any], error: bool) -> Any:  # fmt: skip
    status = (
        pb.Status(code=pb.Status.STATUS_CODE_ERROR, message="tool failed: timeout")
        if error
        else pb.Status(code=pb.Status.STATUS_CODE_OK)
    )
    return pb.Span(
        trace_id=tid,
        span_id=sid,
        parent_span_id=parent,
        name=name,
        kind=pb.Span.SPAN_KIND_INTERNAL if parent else pb.Span.SPAN_KIND_SERVER,
        start_time_unix_nano=start,
        end_time_unix_nano=end,
        attributes=[key_value(k, v) for k, v in attrs.items()],
        status=status,
    )
