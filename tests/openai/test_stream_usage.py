"""Streamed chat completions are priced even when the caller did not ask for usage: the
integration asks (OpenAI's own API by default, any server with stream_usage=True) and
keeps the extra usage-only chunk from the caller, who sees the stream as without it."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal as D

import httpx
import openai
import pytest
import spanwise.openai

from tests.openai.conftest import MODEL, messages

# gpt-4o-mini per 1M tokens: input $0.15, cached input $0.075, output $0.60


def _price(span) -> D:
    plain = span.input_tokens - span.cached_tokens
    return (
        plain * D("0.15") + span.cached_tokens * D("0.075") + span.output_tokens * D("0.6")
    ) / 10**6


def _chunks(client, **options) -> list:
    stream = client.chat.completions.create(
        model=MODEL, messages=messages("count my tokens"), stream=True, **options
    )
    return list(stream)


def _plain(fake) -> list:
    """The chunks the caller sees with no instrumentation at all."""
    spanwise.openai.autolog(disable=True)
    with openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as client:
        return [c.model_dump(exclude={"id", "created"}) for c in _chunks(client)]


class _AsOpenAI(httpx.HTTPTransport):
    """Requests for api.openai.com answered by the local fake server: the client (and so
    the integration) sees OpenAI's own host."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = httpx.URL(target)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self.target.scheme, host=self.target.host, port=self.target.port
        )
        return super().handle_request(request)


def test_openais_own_api_is_asked_for_usage_and_the_caller_sees_the_same_chunks(fake, sdk, traced):
    expected = _plain(fake)
    spanwise.openai.autolog()  # stream_usage="auto"
    http = httpx.Client(transport=_AsOpenAI(fake.base_url))
    try:
        with openai.OpenAI(api_key="test", max_retries=0, http_client=http) as client:
            chunks, _, [span] = traced(_chunks, client)
    finally:
        spanwise.openai.autolog(disable=True)
    assert [c.model_dump(exclude={"id", "created"}) for c in chunks] == expected
    assert all(c.choices for c in chunks)  # no usage-only chunk reached the caller
    assert span.input_tokens > 0 and span.output_tokens > 0
    assert (span.cost, span.cost_status) == (_price(span), "ok")


@pytest.mark.parametrize("stream_usage", [True, "auto", False])
def test_other_servers_are_asked_only_with_stream_usage_true(fake, sdk, traced, stream_usage):
    expected = _plain(fake)
    spanwise.openai.autolog(stream_usage=stream_usage)
    try:
        with openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as client:
            chunks, _, [span] = traced(_chunks, client)
            # next() on the stream, not a for loop: the other way a caller reads it
            stream = client.chat.completions.create(
                model=MODEL, messages=messages("count my tokens"), stream=True
            )
            read = []
            while True:
                try:
                    read.append(next(stream))
                except StopIteration:
                    break
    finally:
        spanwise.openai.autolog(disable=True)
    for got in (chunks, read):
        assert [c.model_dump(exclude={"id", "created"}) for c in got] == expected
    if stream_usage is True:
        assert span.input_tokens > 0 and span.cost == _price(span)
    else:  # a local server: "auto" leaves the call as the caller made it
        assert not span.input_tokens and span.cost is None


def test_a_caller_who_asked_for_usage_gets_the_usage_chunk(oai, traced):
    spanwise.openai.autolog(stream_usage=True)
    chunks, _, [span] = traced(_chunks, oai, stream_options={"include_usage": True})
    assert not chunks[-1].choices and chunks[-1].usage.prompt_tokens == span.input_tokens


def test_async_streams_hide_the_chunk_too(fake, sdk, traced):
    expected = _plain(fake)
    spanwise.openai.autolog(stream_usage=True)

    async def consume() -> list:
        client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
        stream = await client.chat.completions.create(
            model=MODEL, messages=messages("count my tokens"), stream=True
        )
        got = [c async for c in stream]
        await client.close()
        return got

    try:
        chunks, _, [span] = traced(lambda: asyncio.run(consume()))
    finally:
        spanwise.openai.autolog(disable=True)
    assert [c.model_dump(exclude={"id", "created"}) for c in chunks] == expected
    assert span.cost == _price(span) and span.output_tokens > 0


def test_helpers_and_raw_streams_are_left_as_the_caller_made_them(oai, traced):
    spanwise.openai.autolog(stream_usage=True)

    def helper() -> list:
        with oai.chat.completions.stream(model=MODEL, messages=messages("helper")) as stream:
            return [event.type for event in stream]

    events, _, [span] = traced(helper)
    assert "chunk" in events and not span.input_tokens  # not asked: the helper's events

    def raw() -> list:
        with oai.chat.completions.with_streaming_response.create(
            model=MODEL, messages=messages("raw"), stream=True
        ) as response:
            return list(response.iter_lines())

    lines, _, _ = traced(raw)
    events = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
    assert events and all(e["choices"] for e in events)  # the bytes as the caller asked


def test_a_bad_stream_usage_is_refused(sdk):
    with pytest.raises(ValueError, match="stream_usage"):
        spanwise.openai.autolog(stream_usage="always")
