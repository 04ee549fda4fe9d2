"""The real boto3 ``bedrock-runtime`` client against the local fake server (its
Converse API), autolog on."""

from __future__ import annotations

import boto3
import pytest
import spanwise
import spanwise.bedrock
from botocore.config import Config
from spanwise import SpanType

from tests.fakes.openai_server import FakeOpenAI
from tests.support.traced import traced_runner

# Bedrock's regional price list: input 1.1, cached 0.11, cache write 1.375, output 5.5 $/M
MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture(scope="session")
def fake():
    with FakeOpenAI() as server:
        yield server


def make_client(fake: FakeOpenAI):
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=fake.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),  # one attempt
    )


@pytest.fixture
def autolog(sdk):
    spanwise.bedrock.autolog()
    yield
    spanwise.bedrock.autolog(disable=True)


@pytest.fixture
def bedrock(fake, autolog):
    return make_client(fake)


@pytest.fixture
def traced(fetch_trace):
    return traced_runner(fetch_trace, (SpanType.LLM,))


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": [{"text": text}]}]
