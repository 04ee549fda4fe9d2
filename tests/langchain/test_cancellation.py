"""Runs cancelled with their asyncio task (a timeout, a failing parallel branch):
langchain-core reports no end for a chat model awaited in the task, so the span of the
run that reports the cancellation ends the ones still open under it."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest
import spanwise

from .conftest import named

pytest.importorskip("langchain_openai")
pytest.importorskip("langgraph")


@pytest.fixture
def slow_model():
    from langchain_openai import ChatOpenAI
    from spanwise_collector.testing.openai_server import FakeOpenAI

    with FakeOpenAI() as server:
        # the fake server answers a model named "...delay-5" after 5 s
        yield ChatOpenAI(
            model="gpt-4o-mini-delay-5", base_url=server.base_url, api_key="x", max_retries=0
        )


def test_timeout_around_a_chain_ends_the_cancelled_model_span(autolog, fetch_trace, slow_model):
    from langchain_core.prompts import ChatPromptTemplate

    chain = ChatPromptTemplate.from_messages([("user", "Hi {name}")]) | slow_model

    async def main():
        with spanwise.start_span("request") as root, pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(chain.ainvoke({"name": "Ada"}), 0.3)
        return root.trace_id

    trace = fetch_trace(asyncio.run(main()))
    (seq,) = named(trace, "RunnableSequence")
    (llm,) = named(trace, "ChatOpenAI")
    assert llm.parent_id == seq.span_id
    assert llm.status == "ERROR" and llm.end_time_ns <= seq.end_time_ns
    assert llm.inputs == [{"role": "user", "content": "Hi Ada"}]


def test_failing_graph_branch_ends_the_cancelled_branch_model_span(
    autolog, fetch_trace, slow_model
):
    from langgraph.graph import START, StateGraph

    class State(TypedDict):
        out: Annotated[list, operator.add]

    async def ask(state: State) -> dict:
        return {"out": [(await slow_model.ainvoke("slow question")).content]}

    async def fail(state: State) -> dict:
        await asyncio.sleep(0.2)
        raise ValueError("branch failed")

    graph = StateGraph(State)
    graph.add_node("ask", ask)
    graph.add_node("fail", fail)
    graph.add_edge(START, "ask")
    graph.add_edge(START, "fail")
    app = graph.compile()

    async def main():
        with spanwise.start_span("request") as root, pytest.raises(ValueError, match="branch"):
            await app.ainvoke({"out": []})
        return root.trace_id

    trace = fetch_trace(asyncio.run(main()))
    (ask_span,) = named(trace, "ask")
    (llm,) = named(trace, "ChatOpenAI")
    assert llm.parent_id == ask_span.span_id and llm.status == "ERROR"
    assert llm.attributes["gen_ai.request.model"] == "gpt-4o-mini-delay-5"


def test_timeout_around_a_chat_model_call_still_records_it(autolog, fetch_trace, slow_model):
    # No run above it reports the cancellation: the task it ran in ending does.
    async def main():
        with spanwise.start_span("request") as root, pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(slow_model.ainvoke("slow question"), 0.3)
        return root.trace_id

    trace = fetch_trace(asyncio.run(main()))
    (llm,) = named(trace, "ChatOpenAI")
    assert llm.parent_id == trace.data.root.span_id
    assert llm.status == "ERROR" and llm.attributes["error.type"] == "CancelledError"
    assert llm.inputs == [{"role": "user", "content": "slow question"}]


def test_many_calls_in_one_long_lived_task_end_normally(autolog, fetch_trace):
    # The task watch is removed when a call ends: a worker task making many calls keeps
    # no callbacks for them, and nothing is ended twice.
    from .models import chat_model

    def callbacks() -> int:  # asyncio.run's own is there too
        return len(asyncio.current_task()._callbacks or ())

    async def main():
        before = callbacks()
        with spanwise.start_span("worker") as root:
            model = chat_model(4)
            for city in ("Paris", "Lyon", "Nice"):
                await model.ainvoke(f"Weather in {city}?")
            await model.abatch(["Brest?"])
        return root.trace_id, callbacks() - before

    trace_id, added = asyncio.run(main())
    assert added == 0
    trace = fetch_trace(trace_id)
    calls = named(trace, "FakeMessagesListChatModel")
    assert len(calls) == 4 and all(s.status == "OK" and s.output_tokens == 5 for s in calls)


def test_unfinished_stream_of_a_task_that_ended_normally_is_not_a_cancellation(
    autolog, fetch_trace
):
    # The stream's finalizer closes it after the task is done: it ends OK, closed early.
    from .models import streaming_model

    async def consume():
        with spanwise.start_span("request") as root:
            async for _ in streaming_model().astream("Hi"):
                break
        return root.trace_id

    async def main():
        trace_id = await asyncio.create_task(consume())
        await asyncio.sleep(0.2)  # the finalizer's aclose runs in the loop
        return trace_id

    trace = fetch_trace(asyncio.run(main()))
    (llm,) = named(trace, "GenericFakeChatModel")
    assert llm.status == "OK" and [e.name for e in llm.events] == ["stream_closed_early"]
