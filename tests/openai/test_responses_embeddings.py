"""The Responses API (plain and streamed) and embeddings."""

from __future__ import annotations

import json

from tests.openai.conftest import MODEL

FUNCTION_TOOL = {
    "type": "function",
    "name": "lookup",
    "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
}


def test_responses_create(oai, traced):
    result, root, [span] = traced(
        oai.responses.create,
        model=MODEL,
        input="tell me a story",
        instructions="be brief",
        max_output_tokens=64,
        temperature=0.5,
    )
    assert result.output_text == "echo: tell me a story"
    assert span.name == f"chat {MODEL}" and span.span_type == "LLM"
    assert span.parent_id == root.span_id
    assert span.inputs == {"input": "tell me a story", "instructions": "be brief"}
    assert span.outputs == {"role": "assistant", "content": "echo: tell me a story"}
    a = span.attributes
    assert a["gen_ai.response.id"] == result.id
    assert int(a["gen_ai.request.max_tokens"]) == 64
    assert json.loads(a["gen_ai.response.finish_reasons"]) == ["completed"]
    usage = result.usage
    assert span.input_tokens == usage.input_tokens
    assert span.output_tokens == usage.output_tokens
    assert span.cached_tokens == usage.input_tokens_details.cached_tokens > 0
    assert span.reasoning_tokens == usage.output_tokens_details.reasoning_tokens


def test_responses_function_call(oai, traced):
    result, _, [span] = traced(
        oai.responses.create, model=MODEL, input="find cats", tools=[FUNCTION_TOOL]
    )
    [item] = result.output
    assert span.inputs["tools"] == [FUNCTION_TOOL]
    assert span.outputs["tool_calls"] == [
        {
            "id": item.call_id,
            "type": "function",
            "function": {"name": "lookup", "arguments": item.arguments},
        }
    ]


def test_responses_stream(oai, traced):
    def consume():
        events = list(oai.responses.create(model=MODEL, input="streamed story", stream=True))
        return events

    events, _, [span] = traced(consume)
    final = events[-1].response
    assert events[-1].type == "response.completed"
    assert span.outputs == {"role": "assistant", "content": "echo: streamed story"}
    assert span.attributes["gen_ai.response.id"] == final.id
    assert span.input_tokens == final.usage.input_tokens
    assert float(span.attributes["gen_ai.server.time_to_first_token"]) >= 0


def test_responses_stream_looped_over_directly(oai, traced):
    def consume():
        return [e for e in oai.responses.create(model=MODEL, input="loop story", stream=True)]

    events, _, [span] = traced(consume)
    assert span.outputs == {"role": "assistant", "content": "echo: loop story"}
    assert span.input_tokens == events[-1].response.usage.input_tokens > 0


def test_responses_stream_helper(oai, traced):
    def consume():
        with oai.responses.stream(model=MODEL, input="helper story") as stream:
            for _ in stream:
                pass
            return stream.get_final_response()

    final, _, [span] = traced(consume)
    assert span.outputs["content"] == final.output_text == "echo: helper story"
    assert span.output_tokens == final.usage.output_tokens


def test_embeddings(oai, fake, traced):
    result, _, [span] = traced(
        oai.embeddings.create, model="text-embedding-3-small", input=["a cat", "a dog"]
    )
    assert len(result.data) == 2
    assert span.name == "embeddings text-embedding-3-small"
    assert span.span_type == "EMBEDDING"
    assert span.attributes["gen_ai.operation.name"] == "embeddings"
    assert span.inputs == {"input": ["a cat", "a dog"]}
    dims = len(result.data[0].embedding)
    assert span.outputs == {"count": 2, "dimensions": dims}  # never the vectors
    assert int(span.attributes["gen_ai.embeddings.dimension.count"]) == dims
    assert span.input_tokens == result.usage.prompt_tokens > 0


def test_embeddings_base64(oai, traced):
    result, _, [span] = traced(
        oai.embeddings.create, model="text-embedding-3-small", input="x", encoding_format="base64"
    )
    assert isinstance(result.data[0].embedding, str)
    assert span.outputs == {"count": 1, "dimensions": 8}
    assert json.loads(span.attributes["gen_ai.request.encoding_formats"]) == ["base64"]
