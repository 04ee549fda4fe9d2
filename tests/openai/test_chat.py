"""Chat completions through the real client: attributes, inputs/outputs, tools, errors."""

from __future__ import annotations

import asyncio
import gc
import json
import logging

import openai
import pytest
import spanwise
import spanwise.openai
from pydantic import BaseModel

from tests.openai.conftest import MODEL, messages

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def test_chat_completion_span(oai, fake, traced):
    result, root, spans = traced(
        oai.chat.completions.create,
        model=MODEL,
        messages=messages("what is the answer"),
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        seed=7,
        stop=["END"],
    )
    assert result.choices[0].message.content == "echo: what is the answer"
    [span] = spans
    assert span.name == f"chat {MODEL}"
    assert span.span_type == "LLM" and span.status == "OK"
    assert span.parent_id == root.span_id
    a = span.attributes
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.request.model"] == MODEL and a["gen_ai.response.model"] == MODEL
    assert a["gen_ai.response.id"] == result.id
    assert float(a["gen_ai.request.temperature"]) == 0.2
    assert float(a["gen_ai.request.top_p"]) == 0.9
    assert int(a["gen_ai.request.max_tokens"]) == 50
    assert int(a["gen_ai.request.seed"]) == 7
    assert json.loads(a["gen_ai.request.stop_sequences"]) == ["END"]
    assert json.loads(a["gen_ai.response.finish_reasons"]) == ["stop"]
    assert a["openai.response.system_fingerprint"] == "fp_fake"
    # The local server is neither api.openai.com nor Azure: the provider is its host.
    assert a["gen_ai.provider.name"] == "127.0.0.1" and a["gen_ai.system"] == "127.0.0.1"
    assert a["server.address"] == "127.0.0.1" and int(a["server.port"]) == fake.port
    assert "gen_ai.request.stream" not in a
    # Usage, including the cached-input and reasoning details, in typed columns too.
    usage = result.usage
    assert span.model == MODEL
    assert span.input_tokens == usage.prompt_tokens > 0
    assert span.output_tokens == usage.completion_tokens > 0
    assert span.cached_tokens == usage.prompt_tokens_details.cached_tokens > 0
    assert span.reasoning_tokens == usage.completion_tokens_details.reasoning_tokens
    assert int(a["gen_ai.usage.cache_read.input_tokens"]) == span.cached_tokens
    # One JSON capture per side.
    assert span.inputs == {"messages": messages("what is the answer")}
    assert span.outputs == {"role": "assistant", "content": "echo: what is the answer"}


def test_a_client_pointed_elsewhere_reports_its_new_server(oai, fake, traced):
    def two_calls():
        oai.chat.completions.create(model=MODEL, messages=messages())
        oai.base_url = f"http://localhost:{fake.port}/v1"  # the same server, another name
        oai.chat.completions.create(model=MODEL, messages=messages())

    _, _, (before, after) = traced(two_calls)
    assert before.attributes["server.address"] == "127.0.0.1"
    assert after.attributes["server.address"] == "localhost"
    assert after.attributes["gen_ai.provider.name"] == "localhost"


def test_tool_calls_in_request_and_response(oai, traced):
    def agent():
        first = oai.chat.completions.create(
            model=MODEL, messages=messages("weather in Paris?"), tools=[WEATHER_TOOL]
        )
        call = first.choices[0].message.tool_calls[0]
        followup = [
            *messages("weather in Paris?"),
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
        ]
        second = oai.chat.completions.create(model=MODEL, messages=followup, tools=[WEATHER_TOOL])
        return first, second

    (first, second), _, spans = traced(agent)
    call = first.choices[0].message.tool_calls[0]
    ask, answer = spans
    assert ask.inputs["tools"] == [WEATHER_TOOL]
    assert json.loads(ask.attributes["gen_ai.response.finish_reasons"]) == ["tool_calls"]
    assert ask.outputs == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": "get_weather", "arguments": call.function.arguments},
            }
        ],
    }
    assert answer.inputs["messages"][-1] == {
        "role": "tool",
        "tool_call_id": call.id,
        "content": "sunny",
    }
    assert answer.inputs["messages"][-2]["tool_calls"][0]["id"] == call.id
    assert answer.outputs["content"] == second.choices[0].message.content == "echo: sunny"


class Answer(BaseModel):
    city: str
    celsius: int


def test_structured_output_with_parse(oai, traced):
    result, _, [span] = traced(
        oai.chat.completions.parse, model=MODEL, messages=messages(), response_format=Answer
    )
    parsed = result.choices[0].message.parsed
    assert isinstance(parsed, Answer)
    assert span.name == f"chat {MODEL}"
    assert span.attributes["gen_ai.output.type"] == "json"
    assert json.loads(span.outputs["content"]) == parsed.model_dump()
    assert span.input_tokens == result.usage.prompt_tokens


@pytest.mark.parametrize(
    ("status", "error"), [(429, openai.RateLimitError), (500, openai.InternalServerError)]
)
def test_http_errors_mark_the_span_and_propagate(oai, fake, traced, status, error):
    caught = {}

    def call():
        fake.inject_error(status)
        with pytest.raises(error) as info:
            oai.chat.completions.create(model=MODEL, messages=messages())
        caught["exc"] = info.value

    _, root, [span] = traced(call)
    exc = caught["exc"]
    assert type(exc) is error and exc.status_code == status
    assert f"fake error {status}" in str(exc)
    assert span.status == "ERROR" and root.status == "OK"
    assert span.attributes["error.type"] == error.__qualname__
    assert int(span.attributes["http.response.status_code"]) == status
    [event] = [e for e in span.events if e.name == "exception"]
    assert event.attributes["exception.type"].endswith(error.__qualname__)


def test_timeout_marks_the_span_and_propagates(oai, traced):
    def call():
        with pytest.raises(openai.APITimeoutError):
            oai.chat.completions.create(
                model=MODEL, messages=messages(), timeout=0.05, extra_headers={"x-fake-delay": "1"}
            )

    _, _, [span] = traced(call)
    assert span.status == "ERROR"
    assert span.attributes["error.type"] == "APITimeoutError"


def test_azure_client_is_recorded_as_azure(fake, autolog, traced):
    client = openai.AzureOpenAI(
        azure_endpoint=fake.url, api_key="test", api_version="2024-10-21", max_retries=0
    )
    result, _, [span] = traced(
        client.chat.completions.create, model="gpt-4o-mini", messages=messages()
    )
    assert result.choices[0].message.content == "echo: hello there"
    assert span.attributes["gen_ai.system"] == "azure"
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert span.provider == "azure"
    assert "/openai/deployments/gpt-4o-mini/" in fake.last_request.path


def test_autolog_twice_makes_one_span_per_call(oai, traced):
    spanwise.openai.autolog()
    spanwise.openai.autolog()
    _, _, spans = traced(oai.chat.completions.create, model=MODEL, messages=messages())
    assert len(spans) == 1


def test_disable_leaves_no_span(oai, traced):
    spanwise.openai.autolog(disable=True)
    result, root, spans = traced(oai.chat.completions.create, model=MODEL, messages=messages())
    assert result.choices[0].message.content == "echo: hello there"
    assert spans == [] and root.name == "parent"


def test_log_inputs_and_outputs_off(oai, traced):
    spanwise.openai.autolog(log_inputs=False)
    _, _, [span] = traced(oai.chat.completions.create, model=MODEL, messages=messages())
    assert span.inputs is None
    assert span.outputs == {"role": "assistant", "content": "echo: hello there"}
    spanwise.openai.autolog(log_inputs=True, log_outputs=False)
    _, _, [span] = traced(oai.chat.completions.create, model=MODEL, messages=messages())
    assert span.inputs["messages"] == messages() and span.outputs is None
    assert span.input_tokens > 0  # attributes stay


def test_redaction_hook_applies_to_llm_inputs_and_outputs(oai, sdk, traced):
    def redact(value):
        return json.loads(json.dumps(value, default=str).replace("secret", "***"))

    sdk.configure(redact=redact)
    try:
        _, _, [span] = traced(
            oai.chat.completions.create, model=MODEL, messages=messages("my secret")
        )
    finally:
        sdk.configure(redact=lambda v: v)
    assert span.inputs["messages"][-1]["content"] == "my ***"
    assert span.outputs["content"] == "echo: my ***"


def test_broken_response_does_not_break_the_call(oai, fake, traced, monkeypatch, caplog):
    # A malformed tool call makes our extraction fail: the user still gets the result.
    monkeypatch.delenv("SPANWISE_RAISE_INTERNAL_ERRORS", raising=False)
    usage = {"prompt_tokens": 3, "completion_tokens": 1}
    message = {"role": "assistant", "tool_calls": ["n/a"]}
    choices = [{"index": 0, "message": message}]
    fake.inject_response({"id": "chatcmpl-broken", "model": MODEL, "choices": choices,
                          "usage": usage})  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        result, _, [span] = traced(oai.chat.completions.create, model=MODEL, messages=messages())
    assert result.id == "chatcmpl-broken" and result.choices[0].index == 0
    assert span.status == "OK" and span.name == f"chat {MODEL}"
    assert any("internal error" in r.getMessage() for r in caplog.records)


def test_raw_response_calls_still_make_a_span(oai, traced):
    def call():
        raw = oai.chat.completions.with_raw_response.create(model=MODEL, messages=messages())
        return raw, raw.parse(), raw.parse()

    (raw, parsed, again), _, [span] = traced(call)
    assert raw.http_request.url.path.endswith("/chat/completions")  # the user's object, as is
    assert parsed is again and parsed.choices[0].message.content == "echo: hello there"
    assert span.name == f"chat {MODEL}" and span.status == "OK"
    assert span.outputs["content"] == "echo: hello there"
    assert span.input_tokens == parsed.usage.prompt_tokens and span.cost > 0


def test_raw_streams_sync_and_async_are_recorded_when_parsed(oai, aoai, traced):
    """``with_raw_response`` / ``with_streaming_response`` with ``stream=True`` (the OpenAI
    Agents SDK streams every run so): the span takes the stream the caller parses."""

    def sync():
        raw = oai.chat.completions.with_raw_response.create(
            model=MODEL, messages=messages("raw sync"), stream=True,
            stream_options={"include_usage": True},
        )  # fmt: skip
        return "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)

    async def streamed():
        async with aoai.chat.completions.with_streaming_response.create(
            model=MODEL, messages=messages("raw async"), stream=True,
            stream_options={"include_usage": True},
        ) as response:  # fmt: skip
            text = ""
            async for chunk in await response.parse():
                text += chunk.choices[0].delta.content or "" if chunk.choices else ""
            return text

    async def plain_async():
        raw = await aoai.chat.completions.with_raw_response.create(
            model=MODEL, messages=messages("raw plain")
        )
        return raw.parse().choices[0].message.content  # not awaited: a legacy response

    async def both_async():  # one event loop: the async client's connections live in it
        return await streamed(), await plain_async()

    def run_all():
        return (sync(), *asyncio.run(both_async()))

    texts, _, spans = traced(run_all)
    assert texts == ("echo: raw sync", "echo: raw async", "echo: raw plain")
    assert [s.outputs["content"] for s in spans] == list(texts)
    for span in spans:
        assert span.input_tokens > 0 and span.output_tokens > 0 and span.cost > 0


def test_raw_response_read_without_parse_ends_its_span(oai, traced):
    def call():
        with oai.chat.completions.with_streaming_response.create(
            model=MODEL, messages=messages("lines"), stream=True
        ) as response:
            lines = [line for line in response.iter_lines() if line]
        del response
        gc.collect()
        return lines

    lines, root, [span] = traced(call)
    assert lines[-1] == "data: [DONE]"  # the caller read the body its own way, untouched
    assert span.end_time_ns <= root.end_time_ns and span.outputs is None
