"""The real OpenAI Agents SDK against the local fake server (its Responses API)."""

from __future__ import annotations

import agents
import pytest
import spanwise
import spanwise.openai
import spanwise.openai_agents
from openai import AsyncOpenAI

from tests.fakes.openai_server import FakeOpenAI

MODEL = "gpt-4o-mini"


@pytest.fixture(scope="session")
def fake():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="session")
def no_platform_export():
    """The SDK's own exporter (to OpenAI's platform) removed: only Spanwise's processor
    sees the runs."""
    agents.set_trace_processors([])


@pytest.fixture
def sdk_client(fake, no_platform_export):
    """The SDK's default model client is the fake server; a new one per test (an async
    client's connections belong to the event loop that opened them)."""
    client = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    agents.set_default_openai_client(client, use_for_tracing=False)
    return client


@pytest.fixture
def agents_autolog(sdk, sdk_client):
    spanwise.openai_agents.autolog()
    yield
    spanwise.openai_agents.autolog(disable=True)
    spanwise.openai.autolog(disable=True)


@pytest.fixture
def run_traced(fetch_trace, agents_autolog):
    """Run ``fn``; return (its result, the spans of the trace it made, by start time)."""

    def run(fn):
        result = fn()
        trace_id = spanwise.get_last_active_trace_id()
        trace = fetch_trace(trace_id)
        return result, sorted(trace.data.spans, key=lambda s: s.start_time_ns)

    return run
