"""A support agent that calls OpenAI through ``spanwise.openai.autolog()``.

It embeds the question to pick a document, asks the model with a tool, runs the
tool call the model requests, then streams the final answer. The OpenAI API is
the local fake server (`spanwise_collector.testing.openai_server`), started by
``run`` itself, so the demo needs no network and no API key.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import spanwise
import spanwise.openai
from spanwise import SpanType

MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"

DOCUMENTS = [
    "Orders ship within two business days.",
    "Refunds are issued to the original payment method.",
    "Support is open Monday to Friday, 9:00-18:00 CET.",
]

ORDER_TOOL = {
    "type": "function",
    "function": {
        "name": "order_status",
        "description": "The shipping status of an order",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
}


@spanwise.trace(span_type=SpanType.RETRIEVER)
def retrieve(client, question: str) -> str:
    result = client.embeddings.create(model=EMBEDDING_MODEL, input=[question, *DOCUMENTS])
    query, *docs = (item.embedding for item in result.data)
    scores = [sum(a * b for a, b in zip(query, doc)) for doc in docs]
    return DOCUMENTS[max(range(len(docs)), key=scores.__getitem__)]


@spanwise.trace(span_type=SpanType.TOOL)
def order_status(order_id: str) -> dict[str, str]:
    return {"order_id": order_id, "status": "shipped", "carrier": "DHL"}


@spanwise.trace(name="support_agent", span_type=SpanType.AGENT)
def support_agent(client, question: str) -> str:
    spanwise.update_current_trace(tags={"agent": "support", "demo": "true"})
    context = retrieve(client, question)
    history = [
        {"role": "system", "content": f"You are a support agent. Context: {context}"},
        {"role": "user", "content": question},
    ]
    first = client.chat.completions.create(
        model=MODEL, messages=history, tools=[ORDER_TOOL], temperature=0.2
    )
    message = first.choices[0].message
    history.append(message.model_dump(exclude_none=True))
    for call in message.tool_calls or ():
        result = order_status(**json.loads(call.function.arguments))
        history.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    stream = client.chat.completions.create(
        model=MODEL, messages=history, stream=True, stream_options={"include_usage": True}
    )
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


@contextmanager
def _fake_openai() -> Iterator[Any]:
    """An OpenAI client on a local fake server, with autolog on while it is used."""
    import openai
    from spanwise._internal.integrations.openai import is_enabled

    from ..testing.openai_server import FakeOpenAI

    was_enabled = is_enabled()
    spanwise.openai.autolog()
    try:
        with FakeOpenAI(record=False) as server:
            client = openai.OpenAI(base_url=server.base_url, api_key="demo", max_retries=0)
            with client:
                yield client
    finally:
        if not was_enabled:
            spanwise.openai.autolog(disable=True)


def run(n: int = 2, seed: int = 11) -> None:
    """Run the agent ``n`` times (one trace each) against a local fake OpenAI server."""
    rng = random.Random(seed)
    questions = ["Where is my order 42?", "When will order 7 arrive?", "Status of order 99?"]
    with _fake_openai() as client:
        for _ in range(n):
            support_agent(client, rng.choice(questions))


GOLDEN = [
    {"inputs": {"question": "Where is my order 42?"}, "expectations": {"order_id": "42"}},
    {"inputs": {"question": "Has order 7 shipped?"}, "expectations": {"order_id": "7"}},
]


def used_the_order_tool(trace) -> bool:
    """A scorer: did the agent look the order up instead of guessing?"""
    return any(s.name == "order_status" for s in trace.data.spans)


def answered(outputs) -> bool:
    return bool(outputs and outputs.strip())


def evaluate(dataset: str = "support-golden") -> Any:
    """The agent evaluated on a small dataset kept by the collector: one run, a trace per
    record, each scorer's verdict on the trace and its mean on the run."""
    client = spanwise.Client()
    if client.get_dataset(dataset) is None:
        client.create_dataset(dataset, description="support questions with the order they name")
    client.merge_records(dataset, GOLDEN)
    with _fake_openai() as openai_client:

        def support(question: str) -> str:
            return support_agent(openai_client, question)

        return spanwise.evaluate(
            dataset, support, [used_the_order_tool, answered], run_name="support-agent"
        )
