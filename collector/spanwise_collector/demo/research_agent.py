"""A small research agent instrumented with ``@spanwise.trace`` only (no LLM library).

It plans, retrieves documents, calls tools (one async, one streaming as a
generator, one failing and handled) and writes an answer.
"""

from __future__ import annotations

import asyncio
import random

import spanwise
from spanwise import SpanType

DOCUMENTS = {
    "pricing": "Spanwise prices every LLM call from versioned price tables.",
    "storage": "Traces live in ClickHouse: embedded chDB or a cluster.",
    "otel": "Spans are OpenTelemetry spans sent over OTLP/gRPC.",
    "runs": "Experiment runs hold params, metrics and tags next to traces.",
}


class FlakyToolError(RuntimeError):
    pass


@spanwise.trace(span_type=SpanType.RETRIEVER)
def retrieve(query: str, k: int = 2) -> list[dict[str, str]]:
    words = set(query.lower().split())
    ranked = sorted(DOCUMENTS.items(), key=lambda kv: -len(words & set(kv[1].lower().split())))
    return [{"id": key, "text": text} for key, text in ranked[:k]]


@spanwise.trace(span_type=SpanType.TOOL)
async def lookup_weather(city: str) -> dict[str, object]:
    await asyncio.sleep(0.005)
    return {"city": city, "celsius": 21}


@spanwise.trace(span_type=SpanType.TOOL)
async def lookup_population(city: str) -> dict[str, object]:
    await asyncio.sleep(0.003)
    return {"city": city, "population": 2_100_000}


@spanwise.trace(span_type=SpanType.TOOL)
def flaky_search(query: str) -> str:
    raise FlakyToolError(f"search backend timed out for {query!r}")


@spanwise.trace(span_type=SpanType.PARSER)
def stream_answer(parts: list[str]):
    yield from parts


@spanwise.trace(span_type=SpanType.CHAIN)
async def gather_facts(city: str) -> list[dict[str, object]]:
    return list(await asyncio.gather(lookup_weather(city), lookup_population(city)))


@spanwise.trace(name="research_agent", span_type=SpanType.AGENT)
def research_agent(question: str, city: str = "Paris") -> str:
    spanwise.update_current_trace(
        tags={"agent": "research", "demo": "true"}, session_id="demo-session", user_id="demo-user"
    )
    docs = retrieve(question)
    facts = asyncio.run(gather_facts(city))
    try:
        flaky_search(question)
    except FlakyToolError:
        pass  # handled: the trace stays OK, the tool span is ERROR
    with spanwise.start_span("compose", span_type=SpanType.CHAIN) as span:
        span.set_inputs({"docs": [d["id"] for d in docs], "facts": facts})
        parts = ["Answer: ", docs[0]["text"], f" (weather in {city}: {facts[0]['celsius']}°C)"]
        text = "".join(stream_answer(parts))
        span.set_outputs(text)
    return text


def run(n: int = 2, seed: int = 7) -> None:
    """Run the agent ``n`` times, one trace each."""
    rng = random.Random(seed)
    questions = ["How is cost computed?", "Where are traces stored?", "What is OTLP?"]
    for _ in range(n):
        research_agent(rng.choice(questions), city=rng.choice(["Paris", "Lyon", "Nantes"]))
