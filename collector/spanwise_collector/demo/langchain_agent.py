"""A LangGraph tool-calling agent traced by ``spanwise.langchain.autolog()`` alone.

The chat model is scripted (no network, no API key): a langchain-core fake chat
model standing in for ``gpt-4o-mini`` that first asks for a tool call, then
answers, reporting token usage like the real model does — so the trace shows
LLM spans with tokens and the cost those tokens would have at OpenAI's prices.
"""

from __future__ import annotations

import random
from typing import Annotated, Any, TypedDict

import spanwise
import spanwise.langchain
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition

FORECASTS = {"Paris": "sunny, 24°C", "Lyon": "cloudy, 19°C", "Nantes": "rain, 15°C"}


class ScriptedChatModel(FakeMessagesListChatModel):
    """Replays scripted replies and reports itself as ``openai`` / ``model_name``."""

    model_name: str = "gpt-4o-mini"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "openai"
        params["ls_model_name"] = self.model_name
        return params


@tool
def get_forecast(city: str) -> str:
    """Today's weather forecast for a city."""
    return FORECASTS.get(city, "unknown")


class State(TypedDict):
    messages: Annotated[list, add_messages]


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": prompt + completion,
    }


def build_agent(city: str, rng: random.Random):
    meta = {"model_name": "gpt-4o-mini-2024-07-18", "finish_reason": "tool_calls"}
    call = AIMessage(
        content="",
        tool_calls=[{"name": "get_forecast", "args": {"city": city}, "id": f"call_{city.lower()}"}],
        usage_metadata=_usage(rng.randint(80, 120), rng.randint(15, 25)),
        response_metadata=meta,
    )
    reply = AIMessage(
        content=f"The forecast for {city}: {FORECASTS[city]}.",
        usage_metadata=_usage(rng.randint(140, 180), rng.randint(20, 40)),
        response_metadata={**meta, "finish_reason": "stop"},
    )
    # The fake model has no bind_tools(); bind the OpenAI tool schema as a call parameter.
    tools = [convert_to_openai_tool(get_forecast)]
    model = ScriptedChatModel(responses=[call, reply]).bind(tools=tools)

    def agent(state: State) -> dict:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(State)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([get_forecast]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "agent")
    return graph.compile(name="weather_agent")


def run(n: int = 2, seed: int = 11) -> None:
    """Run the agent ``n`` times, one trace each."""
    spanwise.langchain.autolog()
    rng = random.Random(seed)
    for _ in range(n):
        city = rng.choice(sorted(FORECASTS))
        agent = build_agent(city, rng)
        agent.invoke({"messages": [HumanMessage(f"What's the weather in {city} today?")]})
