"""Agents SDK runs through the real SDK and OpenAI client: the span tree, what each span
holds, and the model calls priced once (by the OpenAI autolog or by the processor)."""

from __future__ import annotations

from decimal import Decimal

import agents
import spanwise
import spanwise.openai
import spanwise.openai_agents
from agents import Agent, Runner, function_tool

from tests.openai_agents.conftest import MODEL


@function_tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


def weather_agent() -> Agent:
    return Agent(name="Weather bot", instructions="be brief", tools=[get_weather], model=MODEL)


def _by_type(spans, span_type):
    return [s for s in spans if s.span_type == span_type]


def test_run_with_openai_autolog_nests_the_priced_calls_under_the_agent(run_traced):
    spanwise.openai.autolog()
    result, spans = run_traced(lambda: Runner.run_sync(weather_agent(), "weather in Paris"))
    assert result.final_output == "echo: sunny in text"
    workflow, agent = _by_type(spans, "AGENT")
    assert workflow.name == "Agent workflow" and workflow.parent_id is None
    assert agent.name == "Weather bot" and agent.parent_id == workflow.span_id
    assert agent.attributes["openai_agents.agent.tools"] == '["get_weather"]'
    first, second = _by_type(spans, "LLM")
    [tool] = _by_type(spans, "TOOL")
    # the OpenAI client's own calls, each once, under the agent; the tool between them
    assert first.parent_id == agent.span_id and second.parent_id == agent.span_id
    assert tool.parent_id == agent.span_id and tool.name == "get_weather"
    assert first.end_time_ns <= tool.start_time_ns <= tool.end_time_ns <= second.start_time_ns
    assert tool.inputs == {"city": "text"} and tool.outputs == "sunny in text"
    for llm in (first, second):
        assert llm.attributes["gen_ai.operation.name"] == "chat"
        assert llm.model == MODEL and llm.cost_status == "ok" and llm.cost > 0
    assert len(spans) == 5  # the SDK's own model-call spans added nothing
    # the run's and the agent's input and answer
    asked = [{"content": "weather in Paris", "role": "user"}]
    assert workflow.inputs == asked and agent.inputs == asked
    assert workflow.outputs == agent.outputs == result.final_output


def test_run_without_openai_autolog_prices_the_sdk_model_calls(run_traced):
    assert not spanwise.openai.is_enabled()
    result, spans = run_traced(lambda: Runner.run_sync(weather_agent(), "weather in Rome"))
    [_, agent] = _by_type(spans, "AGENT")
    first, second = _by_type(spans, "LLM")
    assert first.name == f"response {MODEL}" and first.parent_id == agent.span_id
    assert first.attributes["gen_ai.provider.name"] == "openai"
    assert first.outputs["tool_calls"][0]["function"]["name"] == "get_weather"
    assert second.outputs["content"] == result.final_output
    usage = result.context_wrapper.usage
    assert first.input_tokens + second.input_tokens == usage.input_tokens
    assert first.output_tokens + second.output_tokens == usage.output_tokens
    for llm in (first, second):  # gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out per million
        assert llm.cached_tokens > 0  # the fake server reports cached prompt tokens
        plain = llm.input_tokens - llm.cached_tokens
        assert llm.cost == (
            plain * Decimal("0.15") + llm.cached_tokens * Decimal("0.075")
            + llm.output_tokens * Decimal("0.6")
        ) / 1_000_000  # fmt: skip
    assert first.inputs["instructions"] == "be brief"


def test_workflow_groups_runs_with_its_session_and_metadata(run_traced, fetch_trace):
    def two_runs():
        with agents.trace("Support flow", group_id="conv-42", metadata={"tier": "gold"}):
            Runner.run_sync(weather_agent(), "weather in Oslo")
            return Runner.run_sync(weather_agent(), "weather in Lima")

    _, spans = run_traced(two_runs)
    workflow, *runs = _by_type(spans, "AGENT")
    assert workflow.name == "Support flow" and len(runs) == 2
    assert all(r.parent_id == workflow.span_id for r in runs)
    assert workflow.attributes["session.id"] == "conv-42"
    info = fetch_trace(spanwise.get_last_active_trace_id()).info
    assert info.metadata["tier"] == "gold"
    assert workflow.outputs == "echo: sunny in text"


def test_traced_tool_function_nests_under_its_tool_call(run_traced):
    @spanwise.trace(name="lookup", span_type="RETRIEVER")
    def lookup(city: str) -> str:
        return f"cloudy in {city}"

    @function_tool
    def forecast(city: str) -> str:
        """Forecast for a city."""
        return lookup(city)

    agent = Agent(name="Forecaster", tools=[forecast], model=MODEL)
    _, spans = run_traced(lambda: Runner.run_sync(agent, "forecast for Bern"))
    [tool] = _by_type(spans, "TOOL")
    [inner] = _by_type(spans, "RETRIEVER")
    assert inner.parent_id == tool.span_id and inner.outputs == "cloudy in text"


def test_handoff_is_a_span_and_the_next_agent_runs_under_the_workflow(run_traced):
    billing = Agent(name="Billing", instructions="answer billing questions", model=MODEL)
    triage = Agent(name="Triage", handoffs=[billing], model=MODEL)
    result, spans = run_traced(lambda: Runner.run_sync(triage, "I was charged twice"))
    workflow, first, second = _by_type(spans, "AGENT")
    assert (first.name, second.name) == ("Triage", "Billing")
    [handoff] = [s for s in spans if s.name.startswith("handoff")]
    assert handoff.name == "handoff to Billing" and handoff.span_type == "CHAIN"
    assert handoff.attributes["openai_agents.handoff.from_agent"] == "Triage"
    assert second.parent_id == workflow.span_id
    assert second.outputs == result.final_output


def test_disabled_processor_records_nothing(run_traced, fetch_trace):
    spanwise.openai_agents.autolog()
    spanwise.openai_agents.autolog()  # idempotent: one processor
    spanwise.openai_agents.autolog(disable=True)
    assert not spanwise.openai_agents.is_enabled()
    seen = {}

    @spanwise.trace(name="parent")
    def parent():
        seen["trace_id"] = spanwise.get_current_trace_id()
        return Runner.run_sync(weather_agent(), "weather in Kyiv")

    parent()
    assert [s.name for s in fetch_trace(seen["trace_id"]).data.spans] == ["parent"]


def test_async_and_streamed_runs(run_traced):
    import asyncio

    spanwise.openai.autolog()

    async def both():
        first = await Runner.run(weather_agent(), "weather in Quito")
        streamed = Runner.run_streamed(weather_agent(), "weather in Cairo")
        async for _ in streamed.stream_events():
            pass
        return first, streamed

    (first, streamed), spans = run_traced(lambda: asyncio.run(both()))
    assert streamed.final_output == first.final_output == "echo: sunny in text"
    workflow, agent = _by_type(spans, "AGENT")  # the streamed run's trace
    llms = _by_type(spans, "LLM")
    assert len(llms) == 2 and all(s.parent_id == agent.span_id for s in llms)
    assert all(s.cost > 0 for s in llms)
    assert workflow.outputs == streamed.final_output


def test_tripped_guardrail_is_recorded(run_traced, fetch_trace):
    import pytest
    from agents import GuardrailFunctionOutput, InputGuardrailTripwireTriggered, input_guardrail

    @input_guardrail
    def no_secrets(ctx, agent, user_input) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info="secret", tripwire_triggered=True)

    agent = Agent(name="Guarded", input_guardrails=[no_secrets], model=MODEL)
    with pytest.raises(InputGuardrailTripwireTriggered):
        Runner.run_sync(agent, "the password is hunter2")
    spans = fetch_trace(spanwise.get_last_active_trace_id()).data.spans
    [guard] = [s for s in spans if s.name == "guardrail no_secrets"]
    assert guard.span_type == "CHAIN"
    assert guard.attributes["openai_agents.guardrail.triggered"] == "true"
    assert guard.outputs == {"triggered": True}


def test_autolog_again_after_the_sdk_processors_were_replaced(run_traced):
    agents.set_trace_processors([])  # drops every processor, ours too
    spanwise.openai_agents.autolog()
    spanwise.openai_agents.autolog()  # once, not twice
    _, spans = run_traced(lambda: Runner.run_sync(weather_agent(), "weather in Baku"))
    assert [s.name for s in _by_type(spans, "AGENT")] == ["Agent workflow", "Weather bot"]


def test_chat_completions_model_generation_spans_are_priced(run_traced, sdk_client):
    """An agent on the Chat Completions API (``OpenAIChatCompletionsModel``; LiteLLM models
    make the same span kind): the SDK's generation spans become the LLM spans."""
    from agents import OpenAIChatCompletionsModel

    model = OpenAIChatCompletionsModel(model=MODEL, openai_client=sdk_client)
    agent = Agent(name="Chatty", instructions="be brief", tools=[get_weather], model=model)
    result, spans = run_traced(lambda: Runner.run_sync(agent, "weather in Lagos"))
    [_, chatty] = _by_type(spans, "AGENT")
    first, second = _by_type(spans, "LLM")
    assert first.name == f"generation {MODEL}" and first.parent_id == chatty.span_id
    assert first.attributes["gen_ai.provider.name"] == "openai"
    assert first.input_tokens > 0 and first.output_tokens > 0 and first.cost > 0
    assert second.outputs["content"] == result.final_output
    assert chatty.outputs == result.final_output


def test_a_run_that_raises_marks_its_workflow_failed(run_traced, fetch_trace):
    """MaxTurnsExceeded reaches the caller: the workflow span says the run failed (the
    SDK's trace has no error of its own); a handler that turns it into an answer, or a
    fallback run started while handling the first one's exception, is a run that worked."""
    import pytest
    from agents import MaxTurnsExceeded

    def workflow() -> object:
        spans = fetch_trace(spanwise.get_last_active_trace_id()).data.spans
        [root] = [s for s in spans if s.parent_id is None]
        return root

    with pytest.raises(MaxTurnsExceeded):
        Runner.run_sync(weather_agent(), "weather in Oslo", max_turns=1)
    failed = workflow()
    assert failed.name == "Agent workflow" and failed.status == "ERROR"
    assert "Max turns (1) exceeded" in failed.status_message

    handled = Runner.run_sync(
        weather_agent(), "weather in Bern", max_turns=1,
        error_handlers={"max_turns": lambda _: "gave up politely"},
    )  # fmt: skip
    assert handled.final_output == "gave up politely" and workflow().status == "OK"

    try:
        Runner.run_sync(weather_agent(), "weather in Kyiv", max_turns=1)
    except MaxTurnsExceeded:
        fallback = Runner.run_sync(weather_agent(), "weather in Kyiv", max_turns=3)
    assert fallback.final_output and workflow().status == "OK"
