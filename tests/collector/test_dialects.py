"""Attribute dialects read by the collector's normaliser, case by case: MLflow's
JSON-encoded values and token usage, the Langfuse SDK's usage details, tags and metadata.
(The whole path with the real SDKs: tests/mlflow_otlp, tests/langfuse.)"""

from __future__ import annotations

import pytest
from spanwise_collector.pipeline.normalize import derive, usage_json


def test_mlflow_values_are_json_encoded():
    d = derive({"mlflow.spanType": '"CHAT_MODEL"', "mlflow.llm.model": '"gpt-4o-mini"',
                "mlflow.llm.provider": '"openai"',
                "mlflow.chat.tokenUsage": '{"input_tokens": 10, "output_tokens": 4, '
                                          '"total_tokens": 14, "cache_read_input_tokens": 6}'})  # fmt: skip
    assert (d.span_type, d.model, d.provider) == ("CHAT_MODEL", "gpt-4o-mini", "openai")
    assert (d.input_tokens, d.output_tokens, d.cached_tokens) == (10, 4, 6)


def test_own_token_keys_win_over_a_usage_object():
    d = derive({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": "3",
                "mlflow.chat.tokenUsage": '{"input_tokens": 10}'})  # fmt: skip
    assert d.input_tokens == 3


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ('{"input": 1000, "output": 200}', (1000, 200, 0, 0, 0)),
        ('{"prompt_tokens": 9, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens":'
         ' 4}, "completion_tokens_details": {"reasoning_tokens": 2}}', (9, 5, 4, 0, 2)),
        ('{"input_tokens": 9, "output_tokens": 5, "input_tokens_details": {"cached_tokens": 3},'
         ' "output_tokens_details": {"reasoning_tokens": 1}}', (9, 5, 3, 0, 1)),
        ('{"input": 2, "output": 1, "cache_read_input_tokens": 5,'
         ' "cache_creation_input_tokens": 7}', (2, 1, 5, 7, 0)),
        ('{"input": -4, "output": true, "total": 3}', (0, 0, 0, 0, 0)),
        ("[1, 2]", (0, 0, 0, 0, 0)),
        ("not json", (0, 0, 0, 0, 0)),
    ],
)  # fmt: skip
def test_usage_objects(usage, expected):
    assert usage_json(usage) == expected


def test_anthropic_usage_through_langfuse_adds_the_cache_to_the_input():
    d = derive({"langfuse.observation.type": "generation", "langfuse.observation.model.name":
                "claude-haiku-4-5", "langfuse.observation.usage_details":
                '{"input": 2, "output": 1, "cache_read_input_tokens": 5}'})  # fmt: skip
    # Anthropic reports cache reads beside the input: the span's input is the total.
    assert (d.span_type, d.input_tokens, d.cached_tokens) == ("LLM", 7, 5)


def test_langfuse_trace_attributes():
    d = derive({"langfuse.observation.type": "span", "langfuse.trace.tags": '["prod", "", "beta"]',
                "langfuse.trace.metadata.tenant": '"acme"', "langfuse.trace.metadata.n": "3",
                "langfuse.trace.metadata.raw": 'not "json"', "session.id": "s"})  # fmt: skip
    assert d.span_type == "UNKNOWN"
    assert d.tags == {"prod": "", "beta": ""}
    assert d.metadata == {"tenant": "acme", "n": "3", "raw": 'not "json"'}
    assert d.session_id == "s"


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        # OpenLLMetry (Traceloop): llm.request.type, and its decorators' span kinds
        ({"llm.request.type": "chat", "gen_ai.request.model": "gpt-4o"}, "LLM"),
        ({"llm.request.type": "completion", "gen_ai.request.model": "gpt-4o"}, "LLM"),
        ({"llm.request.type": "embedding", "gen_ai.request.model": "m"}, "EMBEDDING"),
        ({"llm.request.type": "rerank"}, "RERANKER"),
        ({"traceloop.span.kind": "workflow"}, "CHAIN"),
        ({"traceloop.span.kind": "task"}, "CHAIN"),
        ({"traceloop.span.kind": "agent"}, "AGENT"),
        ({"traceloop.span.kind": "tool"}, "TOOL"),
        # no type at all, but a model and its tokens: a model call
        ({"llm.request.model": "gpt-4o", "llm.usage.prompt_tokens": "3"}, "LLM"),
        ({"gen_ai.request.model": "gpt-4o"}, "UNKNOWN"),  # no tokens: nothing to price
        # an explicit type stands, even with a model and tokens
        ({"openinference.span.kind": "AGENT", "llm.model_name": "gpt-4o",
          "llm.token_count.prompt": "3"}, "AGENT"),
        ({"spanwise.span.type": "UNKNOWN", "gen_ai.request.model": "gpt-4o",
          "gen_ai.usage.input_tokens": "3"}, "UNKNOWN"),
    ],
)  # fmt: skip
def test_span_types_of_other_instrumentations(attrs, expected):
    assert derive(dict(attrs)).span_type == expected
