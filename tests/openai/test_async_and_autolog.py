"""Concurrency under asyncio.gather, spanwise.autolog(), and a light `import spanwise`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import openai
import spanwise
import spanwise.openai
from spanwise import SpanType

from tests.openai.conftest import MODEL, messages


def test_async_gather_keeps_spans_separate_and_parented(fake, autolog, fetch_trace):
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)

    @spanwise.trace(span_type=SpanType.AGENT)
    async def ask(topic: str) -> str:
        result = await client.chat.completions.create(model=MODEL, messages=messages(topic))
        return result.choices[0].message.content

    @spanwise.trace(name="fan-out")
    async def fan_out() -> tuple[str, list[str]]:
        answers = await asyncio.gather(*(ask(f"topic {i}") for i in range(4)))
        return spanwise.get_current_trace_id(), answers

    trace_id, answers = asyncio.run(fan_out())
    assert answers == [f"echo: topic {i}" for i in range(4)]
    spans = fetch_trace(trace_id).data.spans
    asks = {s.span_id: s for s in spans if s.span_type == "AGENT"}
    llms = [s for s in spans if s.span_type == "LLM"]
    root = next(s for s in spans if s.name == "fan-out")
    assert len(asks) == 4 and len(llms) == 4
    assert all(a.parent_id == root.span_id for a in asks.values())
    # Each LLM span sits under its own ask() span, with that call's input.
    assert {s.parent_id for s in llms} == set(asks)
    for llm in llms:
        assert asks[llm.parent_id].inputs["topic"] == llm.inputs["messages"][-1]["content"]


def test_spanwise_autolog_enables_and_disables_openai(sdk, fake, traced):
    client = openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    spanwise.autolog()
    try:
        _, _, spans = traced(client.chat.completions.create, model=MODEL, messages=messages())
        assert len(spans) == 1
    finally:
        spanwise.autolog(disable=True)
    _, _, spans = traced(client.chat.completions.create, model=MODEL, messages=messages())
    assert spans == []


def test_import_spanwise_does_not_import_openai():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, spanwise, spanwise.openai; "
        "assert 'openai' not in sys.modules, 'openai imported'; "
        "spanwise.openai.autolog(); assert 'openai' in sys.modules; print('ok')"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(root / p) for p in ("sdk", "."))}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
