"""Spans of opentelemetry-instrumentation-openai-v2 (third party, its own OTLP exporter) priced."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

openai = pytest.importorskip("openai")
openai_v2 = pytest.importorskip("opentelemetry.instrumentation.openai_v2")

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.trace import format_trace_id  # noqa: E402
from spanwise_collector.testing.openai_server import FakeOpenAI  # noqa: E402


def test_openai_v2_chat_span_is_priced(collector, client):
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-v2-app"}))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=collector.grpc_target, insecure=True))
    )
    instrumentor = openai_v2.OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        with FakeOpenAI() as srv:
            api = openai.OpenAI(base_url=srv.base_url, api_key="test", max_retries=0)
            with provider.get_tracer("app").start_as_current_span("handler") as root:
                reply = api.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=[{"role": "user", "content": "one two three four five six"}],
                )
            trace_id = format_trace_id(root.get_span_context().trace_id)
    finally:
        instrumentor.uninstrument()
        provider.shutdown()
    usage = reply.usage
    trace = client.get_trace(trace_id)
    (chat,) = [s for s in trace.data.spans if s.name != "handler"]
    assert chat.attributes["gen_ai.provider.name"] == "openai"  # written by openai-v2, not us
    assert chat.span_type == "LLM" and chat.model.startswith("gpt-4o-mini")
    assert (chat.input_tokens, chat.output_tokens) == (usage.prompt_tokens, usage.completion_tokens)
    # openai-v2 2.4b0 does not record prompt_tokens_details.cached_tokens for chat (the fake
    # server reported some): the span is priced from what it carries, and would use the
    # cached rate if it recorded gen_ai.usage.cache_read.input_tokens.
    cached = int(chat.attributes.get("gen_ai.usage.cache_read.input_tokens", 0))
    assert chat.cached_tokens == cached
    # gpt-4o-mini: input $0.15, cached input $0.075, output $0.60 per 1M tokens.
    expected = (
        (usage.prompt_tokens - cached) * D("0.15")
        + cached * D("0.075")
        + usage.completion_tokens * D("0.60")
    ) / 10**6
    assert chat.cost_status == "ok"
    assert chat.cost == expected
    assert trace.info.cost == expected
