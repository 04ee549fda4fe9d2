"""The fake server's Bedrock Runtime Converse API routes, driven by the real boto3 client."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest
import urllib3.exceptions
from botocore.config import Config
from spanwise_collector.testing import _bedrock_payloads as bedrock_payloads

from tests.fakes.openai_server import FakeOpenAI

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
PATH = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"  # botocore encodes ":"
WEATHER = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Weather for a city",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city", "days"],
            }
        },
    }
}
CLOCK = {
    "toolSpec": {
        "name": "get_time",
        "inputSchema": {"json": {"type": "object", "properties": {"tz": {"enum": ["UTC"]}}}},
    }
}
# standard mode; NB retries={"max_attempts": 1} would still retry once (it counts retries)
ONE_ATTEMPT = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI(chunks=5) as srv:
        yield srv


def make_client(srv: FakeOpenAI, **headers: str):
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=srv.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=ONE_ATTEMPT,
    )
    if headers:  # the fake's x-fake-* controls, on every request of this client

        def add_headers(request, **_):
            for name, value in headers.items():
                request.headers[name.replace("_", "-")] = value

        client.meta.events.register_first("before-sign.bedrock-runtime.*", add_headers)
    return client


@pytest.fixture
def client(server):
    server.clear_requests()
    return make_client(server)


def user(*texts: str) -> dict:
    return {"role": "user", "content": [{"text": t} for t in texts]}


def body_of(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "ResponseMetadata"}


def test_converse_echoes_with_exact_usage(server, client):
    r = client.converse(modelId=MODEL, messages=[user("hello there")])
    assert body_of(r) == {
        "output": {"message": {"role": "assistant", "content": [{"text": "echo: hello there"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 2, "outputTokens": 3, "totalTokens": 5},
        "metrics": {"latencyMs": 1},
    }
    assert r["ResponseMetadata"]["RequestId"].startswith("fake")
    [req] = server.requests
    assert req.path == PATH and req.body["messages"] == [user("hello there")]
    assert "modelId" not in req.body  # it travels in the path only


def test_text_blocks_are_joined_and_system_words_counted(client):
    system = [{"text": "you are terse"}, {"text": "answer fast"}]
    messages = [user("first question"), {"role": "assistant", "content": [{"text": "ok"}]}]
    messages.append(user("hello", "there friend"))
    r = client.converse(modelId=MODEL, messages=messages, system=system)
    assert r["output"]["message"]["content"] == [{"text": "echo: hello there friend"}]
    # 3 + 2 system words, 2 + 1 + 3 message words
    assert r["usage"] == {"inputTokens": 11, "outputTokens": 4, "totalTokens": 15}


def test_cache_point_reports_reads_and_writes_beside_input(client):
    system = [{"text": "one two three four five six seven"}, {"cachePoint": {"type": "default"}}]
    r = client.converse(modelId=MODEL, messages=[user("eight nine ten")], system=system)
    assert r["usage"] == {
        "inputTokens": 3,  # 10 - 5 - 2
        "outputTokens": 4,
        "totalTokens": 14,
        "cacheReadInputTokens": 5,
        "cacheWriteInputTokens": 2,
    }


def test_tool_use_then_tool_result_echo(client):
    tools = {"tools": [WEATHER, CLOCK]}
    first = client.converse(modelId=MODEL, messages=[user("weather in Paris")], toolConfig=tools)
    assert first["stopReason"] == "tool_use"
    [block] = first["output"]["message"]["content"]
    use = block["toolUse"]
    assert use == {
        "toolUseId": use["toolUseId"],
        "name": "get_weather",
        "input": {"city": "text", "days": 1},
    }
    assert use["toolUseId"].startswith("tooluse_fake")
    assert first["usage"]["outputTokens"] == 4  # {"city": "text", "days": 1}

    result = {"toolResult": {"toolUseId": use["toolUseId"], "content": [{"text": "sunny 21C"}]}}
    messages = [
        user("weather in Paris"),
        first["output"]["message"],
        {"role": "user", "content": [result]},
    ]
    second = client.converse(modelId=MODEL, messages=messages, toolConfig=tools)
    assert second["stopReason"] == "end_turn"
    assert second["output"]["message"]["content"] == [{"text": "echo: sunny 21C"}]
    # 3 user words + 4 of the toolUse input JSON + 2 of the result
    assert second["usage"]["inputTokens"] == 9


def test_tool_result_json_content_and_named_tool_choice(client):
    choice = {"tools": [WEATHER, CLOCK], "toolChoice": {"tool": {"name": "get_time"}}}
    r = client.converse(modelId=MODEL, messages=[user("what time")], toolConfig=choice)
    [block] = r["output"]["message"]["content"]
    assert (block["toolUse"]["name"], block["toolUse"]["input"]) == ("get_time", {"tz": "UTC"})

    result = {"toolResult": {"toolUseId": "t1", "content": [{"json": {"tz": "UTC", "h": 9}}]}}
    r = client.converse(modelId=MODEL, messages=[{"role": "user", "content": [result]}])
    assert r["output"]["message"]["content"] == [{"text": 'echo: {"tz": "UTC", "h": 9}'}]


def test_converse_stream_events_in_order(server, client):
    s = client.converse_stream(modelId=MODEL, messages=[user("stream me please")])
    events = list(s["stream"])
    assert [next(iter(e)) for e in events] == ["messageStart"] + ["contentBlockDelta"] * 5 + [
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert events[0] == {"messageStart": {"role": "assistant"}}
    deltas = [e["contentBlockDelta"] for e in events[1:6]]
    assert {d["contentBlockIndex"] for d in deltas} == {0}
    assert "".join(d["delta"]["text"] for d in deltas) == "echo: stream me please"
    assert events[6:] == [
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {
            "metadata": {
                "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7},
                "metrics": {"latencyMs": 1},
            }
        },
    ]
    rid = s["ResponseMetadata"]["RequestId"]
    body = server.last_request.body
    assert events == list(bedrock_payloads.converse_events(body, rid, 5))  # what botocore parsed
    assert server.last_request.path == PATH + "-stream"


def test_chunk_count_header(server):
    s = make_client(server, x_fake_chunks="2").converse_stream(
        modelId=MODEL, messages=[user("a b")]
    )
    texts = [
        e["contentBlockDelta"]["delta"]["text"] for e in s["stream"] if "contentBlockDelta" in e
    ]
    assert texts == ["echo", ": a b"]


def test_streamed_tool_use(client):
    s = client.converse_stream(
        modelId=MODEL, messages=[user("weather in Oslo")], toolConfig={"tools": [WEATHER]}
    )
    events = list(s["stream"])
    start = events[1]["contentBlockStart"]
    assert start["contentBlockIndex"] == 0
    assert start["start"]["toolUse"]["name"] == "get_weather"
    assert start["start"]["toolUse"]["toolUseId"].startswith("tooluse_fake")
    [delta] = [e["contentBlockDelta"] for e in events if "contentBlockDelta" in e]
    assert json.loads(delta["delta"]["toolUse"]["input"]) == {"city": "text", "days": 1}
    assert events[-3:-1] == [
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "tool_use"}},
    ]
    assert events[-1]["metadata"]["usage"]["outputTokens"] == 4


def test_injected_throttling_is_one_request(server, client):
    server.inject_error(429)
    with pytest.raises(client.exceptions.ThrottlingException) as caught:
        client.converse(modelId=MODEL, messages=[user("hello")])
    error = caught.value
    assert isinstance(error, botocore.exceptions.ClientError)
    assert error.response["Error"] == {"Code": "ThrottlingException", "Message": "fake error 429"}
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert len(server.requests) == 1
    assert client.converse(modelId=MODEL, messages=[user("hello")])["stopReason"] == "end_turn"


@pytest.mark.parametrize(
    "status, code",
    [
        (400, "ValidationException"),
        (403, "AccessDeniedException"),
        (404, "ResourceNotFoundException"),
        (500, "InternalServerException"),
        (503, "ServiceUnavailableException"),
    ],
)
def test_error_header_and_model_name_map_to_bedrock_exceptions(server, status, code):
    by_header = make_client(server, x_fake_error=str(status))
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        by_header.converse_stream(modelId=MODEL, messages=[user("hi")])
    assert caught.value.response["Error"]["Code"] == code
    client = make_client(server)
    with pytest.raises(getattr(client.exceptions, code)):
        client.converse(modelId=f"us.model-error-{status}:0", messages=[user("hi")])


def test_abort_after_breaks_the_stream_while_iterating(server):
    client = make_client(server, x_fake_abort_after="3")
    s = client.converse_stream(modelId=MODEL, messages=[user("hello there")])
    got = []
    with pytest.raises((urllib3.exceptions.ProtocolError, botocore.exceptions.BotoCoreError)):
        for event in s["stream"]:
            got.append(event)
    assert len(got) == 3 and got[0] == {"messageStart": {"role": "assistant"}}


def test_delay_in_model_id_and_chunk_delay(server):
    client = make_client(server, x_fake_chunk_delay="0.01")
    r = client.converse(modelId="m-delay-0.05:0", messages=[user("x")])
    assert r["output"]["message"]["content"] == [{"text": "echo: x"}]
    s = client.converse_stream(modelId=MODEL, messages=[user("y z")])
    assert list(s["stream"])[-2] == {"messageStop": {"stopReason": "end_turn"}}


def test_encode_event_framing():
    raw = bedrock_payloads.encode_event({"messageStop": {"stopReason": "end_turn"}})
    total, headers = int.from_bytes(raw[:4], "big"), int.from_bytes(raw[4:8], "big")
    assert total == len(raw) and raw[12 : 12 + headers].startswith(
        b"\x0b:event-type\x07\x00\x0bmessageStop"
    )
    assert raw[12 + headers : -4] == b'{"stopReason":"end_turn"}'
