"""The real ``mistralai`` client against the local fake server (its OpenAI-shaped
routes, answering Mistral's SDK as Mistral's API does), autolog on."""

from __future__ import annotations

import pytest
import spanwise
import spanwise.mistral
from mistralai.client import Mistral
from spanwise import SpanType

from tests.fakes.openai_server import FakeOpenAI
from tests.support.traced import traced_runner

MODEL = "mistral-small-latest"  # built-in prices now: input 0.15, cached 0.015, output 0.6 $/M


@pytest.fixture(scope="session")
def fake():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def autolog(sdk):
    spanwise.mistral.autolog()
    yield
    spanwise.mistral.autolog(disable=True)


@pytest.fixture
def mistral(fake, autolog):
    return Mistral(api_key="test", server_url=fake.url)


@pytest.fixture
def traced(fetch_trace):
    return traced_runner(fetch_trace, (SpanType.LLM, SpanType.EMBEDDING))


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]
