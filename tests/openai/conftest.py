"""The real openai client against the local fake server, with autolog on."""

from __future__ import annotations

import openai
import pytest
import spanwise
import spanwise.openai
from spanwise import SpanType

from tests.fakes.openai_server import FakeOpenAI
from tests.support.traced import traced_runner

MODEL = "gpt-4o-mini"
LLM_TYPES = (SpanType.LLM, SpanType.EMBEDDING)


@pytest.fixture(scope="session")
def fake():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def autolog(sdk):
    spanwise.openai.autolog()
    yield
    spanwise.openai.autolog(disable=True)


@pytest.fixture
def oai(fake, autolog):
    with openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as client:
        yield client


@pytest.fixture
def aoai(fake, autolog):
    return openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)


@pytest.fixture
def traced(fetch_trace):
    """Run ``fn`` inside a ``parent`` span; return (result, parent span, LLM spans)."""
    return traced_runner(fetch_trace, LLM_TYPES)


def messages(text: str = "hello there") -> list[dict]:
    return [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": text},
    ]
