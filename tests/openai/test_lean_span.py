"""OpenAI spans take a lean path while Spanwise's provider has only Spanwise's processor.
Once the application adds a processor of its own to that provider, they go through the
OTel SDK (so that processor sees them too), and the stored spans are the same."""

from __future__ import annotations

import json

import openai
import spanwise
from opentelemetry import trace as trace_api
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.openai.conftest import MODEL, messages
from tests.support.fork import in_forked_child

# Fields that differ between two identical calls (ids, times, the fake's response id).
_VARYING = {"gen_ai.response.id", "gen_ai.server.time_to_first_token"}


def _calls(client: openai.OpenAI) -> list[str]:
    """Three calls, each in its own trace: plain, failing, streamed. Their trace ids."""
    ids = []

    def plain() -> None:
        client.chat.completions.create(model=MODEL, messages=messages(), temperature=0.2)

    def failing() -> None:
        try:
            client.chat.completions.create(model="gpt-4o-mini-error-429", messages=messages())
        except openai.RateLimitError:
            pass

    def streamed() -> None:
        stream = client.chat.completions.create(
            model=MODEL, messages=messages(), stream=True, stream_options={"include_usage": True}
        )
        for _ in stream:
            pass

    for call in (plain, failing, streamed):

        @spanwise.trace(name="parent")
        def parent(call=call) -> None:
            ids.append(spanwise.get_current_trace_id())
            call()

        parent()
    return ids


def _llm_span(trace):
    root = next(s for s in trace.data.spans if s.name == "parent")
    (span,) = [s for s in trace.data.spans if s.name != "parent"]
    assert span.parent_id == root.span_id
    events = [
        (e.name, e.attributes.get("exception.type"), e.attributes.get("exception.message"))
        for e in span.events
    ]
    attributes = {k: v for k, v in span.attributes.items() if k not in _VARYING}
    return (span.name, span.span_type, span.status, span.status_message, span.inputs,
            span.outputs, attributes, events, span.model, span.input_tokens)  # fmt: skip


def test_spans_stored_alike_with_and_without_an_application_processor(oai, fetch_trace):
    def child() -> str:
        lean_ids = _calls(oai)
        exporter = InMemorySpanExporter()
        trace_api.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
        sdk_ids = _calls(oai)
        seen = [s.name for s in exporter.get_finished_spans()]
        return json.dumps(
            {"lean": lean_ids, "sdk": sdk_ids, "seen": seen, "ok": spanwise.flush(15)}
        )

    report = json.loads(in_forked_child(child))
    assert report["ok"]
    # The application's processor saw every span made after it was added, OpenAI ones too.
    assert report["seen"] == [f"chat {MODEL}", "parent", f"chat {MODEL}-error-429", "parent",
                              f"chat {MODEL}", "parent"]  # fmt: skip
    for lean_id, sdk_id in zip(report["lean"], report["sdk"], strict=True):
        assert _llm_span(fetch_trace(lean_id)) == _llm_span(fetch_trace(sdk_id))
    failed = _llm_span(fetch_trace(report["lean"][1]))
    assert failed[2] == "ERROR" and failed[7][0][0] == "exception"
