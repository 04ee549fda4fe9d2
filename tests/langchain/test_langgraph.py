"""A LangGraph StateGraph with a conditional edge and a ToolNode."""

from __future__ import annotations

import asyncio
from typing import Annotated, TypedDict

import pytest
import spanwise
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool

from .conftest import named, shape
from .models import USAGE

pytest.importorskip("langgraph")

from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition


@tool
def weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class State(TypedDict):
    messages: Annotated[list, add_messages]


def build_graph():
    model = FakeMessagesListChatModel(
        responses=[
            AIMessage(
                content="",
                tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "call_1"}],
                usage_metadata=USAGE,
            ),
            AIMessage(content="It is sunny in Paris.", usage_metadata=USAGE),
        ]
    )

    def agent(state: State) -> dict:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(State)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([weather]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "agent")
    return graph.compile()


AGENT_NODE = ("FakeMessagesListChatModel", "LLM", [])
EXPECTED = [
    (
        "request",
        "UNKNOWN",
        [
            (
                "LangGraph",
                "AGENT",
                [
                    ("agent", "CHAIN", [AGENT_NODE, ("tools_condition", "CHAIN", [])]),
                    ("tools", "CHAIN", [("weather", "TOOL", [])]),
                    ("agent", "CHAIN", [AGENT_NODE, ("tools_condition", "CHAIN", [])]),
                ],
            )
        ],
    )
]


def test_graph_run_is_an_agent_span_with_node_tool_and_llm_children(autolog, fetch_trace):
    app = build_graph()
    with spanwise.start_span("request") as root:
        out = app.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    assert out["messages"][-1].content == "It is sunny in Paris."
    trace = fetch_trace(root.trace_id)
    assert shape(trace) == EXPECTED
    first, second = sorted(named(trace, "agent"), key=lambda s: s.start_time_ns)
    assert first.attributes["langgraph.node"] == "agent"
    assert (first.attributes["langgraph.step"], second.attributes["langgraph.step"]) == ("1", "3")
    (tool_span,) = named(trace, "weather")
    assert tool_span.outputs == "sunny in Paris"
    assert tool_span.attributes["gen_ai.tool.call.id"] == "call_1"
    llms = named(trace, "FakeMessagesListChatModel")
    assert llms[0].outputs["tool_calls"] or llms[1].outputs["tool_calls"]
    assert trace.info.input_tokens == 24 and trace.info.output_tokens == 10


def test_graph_astream(autolog, fetch_trace):
    app = build_graph()
    seen = {}

    @spanwise.trace(name="request")
    async def main():
        seen["trace_id"] = spanwise.get_current_trace_id()
        return [u async for u in app.astream({"messages": [HumanMessage("Weather?")]})]

    updates = asyncio.run(main())
    assert [next(iter(u)) for u in updates] == ["agent", "tools", "agent"]
    assert shape(fetch_trace(seen["trace_id"])) == EXPECTED


def test_interrupt_in_a_tool_is_a_pause_not_an_error(autolog, fetch_trace):
    # Human-in-the-loop: the tool asks for approval with interrupt(); LangGraph carries
    # that as an exception through the tool and node runs, then stops the graph cleanly.
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command, interrupt

    @tool
    def book(city: str) -> str:
        """Book a hotel."""
        return f"booked {city}: {interrupt({'approve': city})}"

    model = FakeMessagesListChatModel(
        responses=[
            AIMessage(
                content="", tool_calls=[{"name": "book", "args": {"city": "Oslo"}, "id": "c1"}]
            ),
            AIMessage(content="Booked."),
        ]
    )
    graph = StateGraph(State)
    graph.add_node("agent", lambda state: {"messages": [model.invoke(state["messages"])]})
    graph.add_node("tools", ToolNode([book]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "agent")
    app = graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t1"}}
    with spanwise.start_span("request") as paused:
        out = app.invoke({"messages": [HumanMessage("Book Oslo")]}, config)
    assert out["__interrupt__"][0].value == {"approve": "Oslo"}
    trace = fetch_trace(paused.trace_id)
    assert all(s.status == "OK" for s in trace.data.spans), [
        (s.name, s.status) for s in trace.data.spans
    ]
    assert trace.info.status == "OK"
    (book_span,) = named(trace, "book")
    assert "error.type" not in book_span.attributes
    (event,) = [e for e in book_span.events if e.name == "interrupt"]
    assert event.attributes["value"] == '[{"approve":"Oslo"}]'

    with spanwise.start_span("request") as resumed:
        out = app.invoke(Command(resume="yes"), config)
    assert out["messages"][-1].content == "Booked."
    (book_span,) = named(fetch_trace(resumed.trace_id), "book")
    assert book_span.status == "OK" and book_span.outputs == "booked Oslo: yes"


def test_checkpointer_thread_id_is_the_session(autolog, fetch_trace, client):
    # A LangGraph chat keeps its conversation under configurable.thread_id: each turn's
    # trace joins that session (as MLflow records it), unless the app named one itself.
    import uuid

    from langgraph.checkpoint.memory import InMemorySaver

    model = FakeMessagesListChatModel(responses=[AIMessage(content="Hi.", usage_metadata=USAGE)])
    graph = StateGraph(State)
    graph.add_node("agent", lambda state: {"messages": [model.invoke(state["messages"])]})
    graph.add_edge(START, "agent")
    app = graph.compile(checkpointer=InMemorySaver())
    thread = f"thread-{uuid.uuid4().hex[:8]}"
    config = {"configurable": {"thread_id": thread}}
    turns = []
    for text in ("Hello", "Again"):
        with spanwise.start_span("turn") as turn:
            app.invoke({"messages": [HumanMessage(text)]}, config)
        turns.append(turn.trace_id)
    assert fetch_trace(turns[-1]).info.session_id == thread
    session = client.get_session(thread)
    assert session is not None and [t.info.trace_id for t in session.traces] == turns
    assert session.info.input_tokens == 24

    with spanwise.start_span("turn") as turn:
        spanwise.update_current_trace(session_id="my-session")
        app.invoke({"messages": [HumanMessage("Once more")]}, config)
    assert fetch_trace(turn.trace_id).info.session_id == "my-session"


def test_command_and_send_outputs_read_as_messages_and_nodes(autolog, fetch_trace):
    # Nodes that route with Command(goto=..., update=...) and edges that fan out with
    # Send(node, state): their spans show the route and the messages as chat messages.
    from langgraph.types import Command, Send

    def route(state: State) -> Command:
        return Command(goto="reply", update={"messages": [AIMessage("routing")]})

    def fan_out(state: State) -> list:
        return [Send("reply", {"messages": [HumanMessage("from send")]})]

    graph = StateGraph(State)
    graph.add_node("route", route, destinations=("reply",))
    graph.add_node("reply", lambda state: {"messages": [AIMessage("done")]})
    graph.add_conditional_edges(START, fan_out, ["reply"])
    graph.add_edge(START, "route")
    app = graph.compile()
    with spanwise.start_span("request") as root:
        app.invoke({"messages": [HumanMessage("hi")]})
    trace = fetch_trace(root.trace_id)
    (route_span,) = named(trace, "route")
    assert route_span.outputs["goto"] == "reply"
    assert route_span.outputs["update"] == {
        "messages": [{"role": "assistant", "content": "routing"}]
    }
    (fan_span,) = named(trace, "fan_out")
    assert fan_span.outputs == [
        {"node": "reply", "arg": {"messages": [{"role": "user", "content": "from send"}]}}
    ]
