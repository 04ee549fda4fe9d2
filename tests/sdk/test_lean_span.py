"""The lean span behaves as the OTel SDK span: the same operations on both give the
same OTLP span (OTel's own encoder), apart from ids, times, resource and scope."""

from __future__ import annotations

import json

import pytest
from opentelemetry import trace as trace_api
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode
from spanwise._internal.lean import LeanSpan, start_client_span, start_lean_span


class Odd:
    def __str__(self) -> str:
        return "odd"


def _operations(span) -> None:
    span.set_attribute("s", "text")
    span.set_attribute("n", 3)
    span.set_attribute("list", ["a", "b"])
    span.set_attribute("mixed", [1, "x", True, None])
    span.set_attribute("nested", {"k": [1, 2], "m": {"x": "y"}})
    span.set_attribute("odd", Odd())
    span.set_attribute("", "empty key is dropped")
    span.set_attribute("s", "re-set moves last")
    span.set_attributes({"a": 1.5, "b": ("t", "u"), "c": b"raw", "d": None})
    for i in range(140):  # past the 128-attribute limit: the oldest go
        span.set_attribute(f"k{i}", i)
    span.add_event("note", {"e": 1})
    span.add_link(SpanContext(trace_id=7, span_id=8, is_remote=True), {"l": "x"})
    span.update_name("renamed")
    try:
        raise ValueError("boom")
    except ValueError as exc:
        span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, "bad"))
    span.set_status(StatusCode.OK)
    span.set_status(Status(StatusCode.ERROR, "ignored after OK"))
    assert span.is_recording()
    span.end()
    assert not span.is_recording()
    span.set_attribute("after", "end is ignored")
    span.end()  # a second end is ignored


def _comparable(span) -> dict:
    message = encode_spans([span]).resource_spans[0].scope_spans[0].spans[0]
    for field in ("trace_id", "span_id", "start_time_unix_nano", "end_time_unix_nano"):
        message.ClearField(field)
    for event in message.events:
        event.ClearField("time_unix_nano")
        for kv in event.attributes:
            if kv.key == "exception.stacktrace":
                kv.value.string_value = kv.value.string_value.splitlines()[-1]
    return message


@pytest.mark.parametrize("kind", [SpanKind.CLIENT, SpanKind.INTERNAL])  # OpenAI / @trace
def test_lean_span_matches_the_sdk_span(sdk, caplog, kind):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    initial = {"spanwise.span.type": "LLM", "stop": ["x"], "t": 0.5}
    with trace_api.use_span(trace_api.NonRecordingSpan(trace_api.INVALID_SPAN_CONTEXT)):
        lean = start_lean_span("chat m", dict(initial), kind)
    assert isinstance(lean, LeanSpan), "Spanwise should own the provider in this process"
    reference = provider.get_tracer("spanwise").start_span(
        "chat m", kind=kind, attributes={**initial, "spanwise.project": "tests"}
    )
    for span in (lean, reference):
        _operations(span)
    (finished,) = exporter.get_finished_spans()
    ours, theirs = _comparable(lean), _comparable(finished)
    # One deliberate difference: past the limit the SDK drops the oldest attributes,
    # Spanwise's own first (they are set first); the lean span drops the oldest of the
    # others, so the span keeps its type and project (lean._evict).
    kept = {
        kv.key: kv.value.string_value for kv in ours.attributes if kv.key.startswith("spanwise.")
    }
    assert kept == {"spanwise.span.type": "LLM", "spanwise.project": "tests"}
    assert not [kv for kv in theirs.attributes if kv.key.startswith("spanwise.")]
    for message in (ours, theirs):
        mine = [kv for kv in message.attributes if not kv.key.startswith("spanwise.")]
        message.ClearField("attributes")
        message.attributes.extend(mine[-(128 - len(kept)) :])
    assert ours == theirs
    assert lean.dropped_attributes == finished.dropped_attributes > 0


@pytest.mark.parametrize("sampled", [True, False])
def test_a_child_follows_its_parents_sampling_and_trace(sdk, sampled):
    flags = trace_api.TraceFlags(trace_api.TraceFlags.SAMPLED if sampled else 0)
    parent = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=True, trace_flags=flags)
    with trace_api.use_span(trace_api.NonRecordingSpan(parent)):
        child = start_client_span("chat m", {"a": "b"})
    context = child.get_span_context()
    assert context.trace_id == 0xABC and context.span_id not in (0, 0xDEF)
    assert context.trace_flags.sampled is sampled
    assert child.is_recording() is sampled
    if sampled:
        assert child.parent == parent and child.kind is SpanKind.CLIENT
    child.end()


def test_a_decorated_call_leaves_its_shared_attributes_alone(sdk):
    # The decorator starts every call's span from one dict; a lean span keeps the dict it
    # is given, so it must get a copy: inputs of one call must not show up in the next.
    import spanwise

    seen = []

    @spanwise.trace(attributes={"fixed": "yes"})
    def work(x: int) -> int:
        span = trace_api.get_current_span()
        assert isinstance(span, LeanSpan)
        seen.append(dict(span.attributes))
        return x

    work(1)
    work(2)
    assert seen[0]["fixed"] == seen[1]["fixed"] == "yes"
    assert json.loads(seen[0]["spanwise.inputs"]) == {"x": 1}
    assert json.loads(seen[1]["spanwise.inputs"]) == {"x": 2}
    assert "spanwise.outputs" not in seen[1]  # the first call's output did not leak
