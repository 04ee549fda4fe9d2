"""The real google-genai client against the local fake server (its Gemini routes), autolog on."""

from __future__ import annotations

import pytest
import spanwise
import spanwise.gemini
from google import genai
from google.genai import types
from spanwise import SpanType

from tests.fakes.openai_server import FakeOpenAI
from tests.support.traced import traced_runner

MODEL = "gemini-2.5-flash"  # built-in prices: input 0.30, cached 0.03, output 2.50 $/M


@pytest.fixture(scope="session")
def fake():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def autolog(sdk):
    spanwise.gemini.autolog()
    yield
    spanwise.gemini.autolog(disable=True)


def make_client(fake: FakeOpenAI) -> genai.Client:
    # no retries: an injected error must reach the caller at once
    options = types.HttpOptions(base_url=fake.url, retry_options=types.HttpRetryOptions(attempts=1))
    return genai.Client(api_key="test", http_options=options)


@pytest.fixture
def gemini(fake, autolog):
    return make_client(fake)


@pytest.fixture
def traced(fetch_trace):
    """Run ``fn`` inside a ``parent`` span; return (result, parent span, LLM spans)."""
    return traced_runner(fetch_trace, (SpanType.LLM,))


@pytest.fixture
def traced_all(fetch_trace):
    """As ``traced``, with the call's CHAIN span and tool spans too."""
    return traced_runner(
        fetch_trace, (SpanType.LLM, SpanType.CHAIN, SpanType.TOOL, SpanType.EMBEDDING)
    )
