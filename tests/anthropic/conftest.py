"""The real anthropic client against the local fake server (its /v1/messages), autolog on."""

from __future__ import annotations

import anthropic
import pytest
import spanwise
import spanwise.anthropic
from spanwise import SpanType

from tests.fakes.openai_server import FakeOpenAI
from tests.support.traced import traced_runner

MODEL = (
    "claude-haiku-4-5"  # in the built-in price table: input 1, cached 0.1, write 1.25, output 5 $/M
)

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture(scope="session")
def fake():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def autolog(sdk):
    spanwise.anthropic.autolog()
    yield
    spanwise.anthropic.autolog(disable=True)


@pytest.fixture
def claude(fake, autolog):
    with anthropic.Anthropic(base_url=fake.url, api_key="test", max_retries=0) as client:
        yield client


@pytest.fixture
def aclaude(fake, autolog):
    return anthropic.AsyncAnthropic(base_url=fake.url, api_key="test", max_retries=0)


@pytest.fixture
def traced(fetch_trace):
    """Run ``fn`` inside a ``parent`` span; return (result, parent span, LLM spans)."""
    return traced_runner(fetch_trace, (SpanType.LLM,))


def user(text: str = "hello there") -> list[dict]:
    return [{"role": "user", "content": text}]
