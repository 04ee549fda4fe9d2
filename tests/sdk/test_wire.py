"""The SDK's own OTLP encoder says exactly what OTel's ``encode_spans`` says.

Spans come from the real OTel SDK (in-memory exporter); the bytes of
``spanwise._internal.wire.encode_request`` are parsed with the protobuf runtime and
compared with the message OTel's encoder builds for the same spans.
"""

from __future__ import annotations

import pytest
from opentelemetry import trace as trace_api
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState
from spanwise._internal.wire import encode_request


def _provider(resource: Resource, limits: SpanLimits | None = None):
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=resource, span_limits=limits)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _same_as_otel(spans) -> ExportTraceServiceRequest:
    ours = ExportTraceServiceRequest.FromString(encode_request(spans))
    assert ours == encode_spans(spans)
    return ours


def test_every_attribute_type_and_span_field():
    provider, exporter = _provider(
        Resource.create({"service.name": "svc", "spanwise.project": "p", "n": 3})
    )
    tracer = provider.get_tracer("lib", "1.2.3", schema_url="https://schema/1")
    remote = SpanContext(
        trace_id=0x0123456789ABCDEF0123456789ABCDEF,
        span_id=0x1122334455667788,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState([("vendor", "v1"), ("other", "x")]),
    )
    attributes = {
        "s": "text",
        "empty": "",
        "unicode": "héllo ✓ 日本",
        "long": "x" * 5000,
        "t": True,
        "f": False,
        "zero": 0,
        "neg": -5,
        "big": 2**63 - 1,
        "small": -(2**63),
        "pi": 3.25,
        "strs": ["a", "", "ü"],
        "ints": [1, -2, 300],
        "floats": [0.5, -1.5],
        "bools": [True, False],
        "empty_list": [],
    }
    with tracer.start_as_current_span(
        "root ✓", context=trace_api.set_span_in_context(trace_api.NonRecordingSpan(remote))
    ) as root:
        root.set_attributes(attributes)
        with tracer.start_as_current_span(
            "client", kind=SpanKind.CLIENT, links=[Link(remote, {"why": "retry"})]
        ) as child:
            child.add_event("tick", {"i": 1, "ok": True})
            child.record_exception(ValueError("boom"))
            child.set_status(Status(StatusCode.ERROR, "it failed: ü"))
        for kind in (SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER):
            tracer.start_span(f"k{kind.value}", kind=kind).end()
        ok = tracer.start_span("ok")
        ok.set_status(Status(StatusCode.OK))
        ok.end()
    spans = exporter.get_finished_spans()
    request = _same_as_otel(spans)
    encoded = request.resource_spans[0].scope_spans[0].spans
    assert [s.name for s in encoded] == [s.name for s in spans]


def test_groups_by_resource_then_scope_in_order_of_first_appearance():
    p1, e1 = _provider(Resource.create({"r": 1}))
    p2, e2 = _provider(Resource.create({"r": 2}))
    a, b = p1.get_tracer("a"), p1.get_tracer("b", schema_url="https://s")
    c = p2.get_tracer("c")
    for tracer in (a, b, a, c, b):
        tracer.start_span("s").end()
    spans = [*e1.get_finished_spans(), *e2.get_finished_spans()]
    spans = [spans[0], spans[4], spans[1], spans[2], spans[3]]  # interleave the resources
    request = _same_as_otel(spans)
    assert len(request.resource_spans) == 2
    assert [len(s.spans) for s in request.resource_spans[0].scope_spans] == [2, 2]


def test_dropped_counts_are_carried():
    limits = SpanLimits(max_span_attributes=2, max_events=1, max_links=1)
    provider, exporter = _provider(Resource.create({}), limits)
    link = SpanContext(trace_id=5, span_id=6, is_remote=False)
    with provider.get_tracer("t").start_as_current_span(
        "limited", links=[Link(link), Link(link)]
    ) as span:
        span.set_attributes({"a": 1, "b": 2, "c": 3, "d": 4})
        span.add_event("e1")
        span.add_event("e2")
    spans = exporter.get_finished_spans()
    request = _same_as_otel(spans)
    encoded = request.resource_spans[0].scope_spans[0].spans[0]
    assert encoded.dropped_attributes_count == 2
    assert encoded.dropped_events_count == 1
    assert encoded.dropped_links_count == 1


def test_many_spans_of_one_trace():
    provider, exporter = _provider(Resource.create({"spanwise.project": "bulk"}))
    tracer = provider.get_tracer("spanwise")
    with tracer.start_as_current_span("parent"):
        for i in range(300):
            with tracer.start_as_current_span(f"child {i}") as span:
                span.set_attribute("spanwise.inputs", f'{{"i": {i}}}')
                span.set_attribute("i", i * 1000)
    _same_as_otel(exporter.get_finished_spans())


def test_values_repeated_across_spans_and_requests_keep_their_types():
    """Encoded attributes are reused by (key, value): 1, 1.0, True and "1" stay apart,
    and a second request encodes the same as the first."""
    provider, exporter = _provider(Resource.create({}))
    tracer = provider.get_tracer("t")
    values = [1, True, 1.0, "1", 0, False, 0.0, "", "é" * 200, "x" * 20_000, 2**40, -0.0]
    for value in values * 2:
        with tracer.start_as_current_span("s") as span:
            span.set_attribute("v", value)
            span.set_attribute("spanwise.project", "p")
    spans = exporter.get_finished_spans()
    first = _same_as_otel(spans)
    assert _same_as_otel(spans) == first
    encoded = first.resource_spans[0].scope_spans[0].spans
    kinds = [s.attributes[0].value.WhichOneof("value") for s in encoded[: len(values)]]
    assert kinds == [
        "int_value", "bool_value", "double_value", "string_value",
        "int_value", "bool_value", "double_value", "string_value", "string_value",
        "string_value", "int_value", "double_value",
    ]  # fmt: skip
    assert str(encoded[-1].attributes[0].value.double_value) == "-0.0"


def test_empty_batch_is_an_empty_request():
    assert encode_request([]) == b""
    assert encode_spans([]) == ExportTraceServiceRequest()


@pytest.mark.parametrize("value", ["\ud800 lone surrogate"])
def test_an_unencodable_value_is_kept_with_a_replacement_character(value):
    """OTel's encoder leaves such an attribute out (and logs a traceback per export);
    ours keeps it, with U+FFFD for what UTF-8 cannot encode: a captured input with one
    bad character is still the input."""
    provider, exporter = _provider(Resource.create({}))
    with provider.get_tracer("t").start_as_current_span("s") as span:
        span.set_attribute("bad", value)
        span.set_attribute("good", "yes")
    spans = exporter.get_finished_spans()
    ours = ExportTraceServiceRequest.FromString(encode_request(spans))
    attrs = {kv.key: kv.value.string_value
             for kv in ours.resource_spans[0].scope_spans[0].spans[0].attributes}  # fmt: skip
    assert attrs == {"bad": "\ufffd lone surrogate", "good": "yes"}
