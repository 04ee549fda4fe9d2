"""Any OpenTelemetry SDK can send to the collector: OTLP/gRPC and OTLP/HTTP (protobuf, JSON)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, format_trace_id


def test_plain_opentelemetry_sdk_over_grpc(collector, client):
    """No Spanwise code on the sending side: the stock OTel SDK and OTLP exporter."""
    provider = TracerProvider(resource=Resource.create({"service.name": "plain-otel"}))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=collector.grpc_target, insecure=True))
    )
    tracer = provider.get_tracer("plain")
    with tracer.start_as_current_span("handle", kind=SpanKind.SERVER) as root:
        root.set_attribute("http.route", "/answer")
        with tracer.start_as_current_span("llm", kind=SpanKind.CLIENT) as llm:
            llm.set_attribute("gen_ai.operation.name", "chat")
            llm.set_attribute("gen_ai.request.model", "gpt-4o-mini")
            llm.set_attribute("gen_ai.usage.input_tokens", 12)
            llm.set_attribute("gen_ai.usage.output_tokens", 5)
            llm.set_status(Status(StatusCode.ERROR, "rate limited"))
        trace_id = format_trace_id(root.get_span_context().trace_id)
    provider.shutdown()

    trace = client.get_trace(trace_id)
    assert trace is not None
    spans = {s.name: s for s in trace.data.spans}
    assert spans["llm"].parent_id == spans["handle"].span_id
    assert spans["handle"].service_name == "plain-otel"
    assert spans["handle"].attributes["http.route"] == "/answer"
    llm = spans["llm"]
    assert llm.span_type == "LLM"  # derived from gen_ai.operation.name
    assert llm.model == "gpt-4o-mini"
    assert (llm.input_tokens, llm.output_tokens) == (12, 5)
    assert llm.status == "ERROR" and llm.status_message == "rate limited"
    assert trace.info.project == "default"
    assert (trace.info.input_tokens, trace.info.output_tokens) == (12, 5)


def test_openllmetry_and_untyped_model_calls_are_priced(collector, client):
    """OpenLLMetry marks calls with llm.request.type (no gen_ai.operation.name); an
    instrumentation of one's own may only name the model and tokens: both are priced."""
    from decimal import Decimal

    provider = TracerProvider(resource=Resource.create({"service.name": "traceloop-app"}))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=collector.grpc_target, insecure=True))
    )
    tracer = provider.get_tracer("opentelemetry.instrumentation.openai")
    with tracer.start_as_current_span("workflow") as root:
        root.set_attribute("traceloop.span.kind", "workflow")
        with tracer.start_as_current_span("openai.chat", kind=SpanKind.CLIENT) as call:
            call.set_attributes({
                "llm.request.type": "chat", "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.prompt_tokens": 1000,
                "gen_ai.usage.completion_tokens": 200,
            })  # fmt: skip
        with tracer.start_as_current_span("my_llm_call") as own:
            own.set_attributes({"llm.request.model": "gpt-4o-mini", "llm.usage.prompt_tokens": 1000,
                                "llm.usage.completion_tokens": 200})  # fmt: skip
    provider.shutdown()

    trace = client.get_trace(format_trace_id(root.get_span_context().trace_id))
    spans = {s.name: s for s in trace.data.spans}
    expected = (1000 * Decimal("0.15") + 200 * Decimal("0.6")) / 10**6  # gpt-4o-mini
    assert spans["workflow"].span_type == "CHAIN"
    for name in ("openai.chat", "my_llm_call"):
        assert (spans[name].span_type, spans[name].cost) == ("LLM", expected)
    assert trace.info.cost == 2 * expected


def test_a_phoenix_project_name_is_the_project(collector, client):
    """Phoenix apps name their project on the resource (``register(project_name=…)``)."""
    resource = Resource.create({"openinference.project.name": "phoenix-app"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=collector.grpc_target, insecure=True))
    )
    with provider.get_tracer("oi").start_as_current_span("agent") as root:
        root.set_attribute("openinference.span.kind", "AGENT")
    provider.shutdown()
    trace = client.get_trace(format_trace_id(root.get_span_context().trace_id))
    assert (trace.info.project, trace.data.spans[0].span_type) == ("phoenix-app", "AGENT")


def _request(trace_id: bytes, name: str, project: str | None = None):
    span = trace_pb2.Span(
        trace_id=trace_id,
        span_id=os.urandom(8),
        name=name,
        kind=trace_pb2.Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=1_760_000_000_000_000_000,
        end_time_unix_nano=1_760_000_000_250_000_000,
        attributes=[
            common_pb2.KeyValue(
                key="input.value", value=common_pb2.AnyValue(string_value='{"q": 1}')
            ),
            common_pb2.KeyValue(
                key="openinference.span.kind", value=common_pb2.AnyValue(string_value="TOOL")
            ),
            common_pb2.KeyValue(key="count", value=common_pb2.AnyValue(int_value=3)),
        ],
    )
    resource_attrs = [
        common_pb2.KeyValue(key="service.name", value=common_pb2.AnyValue(string_value="http-svc"))
    ]
    if project:
        resource_attrs.append(
            common_pb2.KeyValue(
                key="spanwise.project", value=common_pb2.AnyValue(string_value=project)
            )
        )
    return trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[
            trace_pb2.ResourceSpans(
                resource=resource_pb2.Resource(attributes=resource_attrs),
                scope_spans=[trace_pb2.ScopeSpans(spans=[span])],
            )
        ]
    )


def _post(
    url: str, body: bytes, content_type: str, encoding: str | None = None
) -> tuple[int, bytes]:
    headers = {"content-type": content_type}
    if encoding:
        headers["content-encoding"] = encoding
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_otlp_http_protobuf(collector, client):
    trace_id = os.urandom(16)
    request = _request(trace_id, "http-proto", project="proj-a")
    status, body = _post(
        f"{collector.http_url}/v1/traces", request.SerializeToString(), "application/x-protobuf"
    )
    assert status == 200
    trace_service_pb2.ExportTraceServiceResponse().ParseFromString(body)
    trace = client.get_trace(trace_id.hex())
    (span,) = trace.data.spans
    assert span.name == "http-proto" and span.span_type == "TOOL"
    assert span.inputs == {"q": 1}
    assert span.attributes["count"] == "3"
    assert span.end_time_ns - span.start_time_ns == 250_000_000
    assert trace.info.project == "proj-a"


@pytest.mark.parametrize("compression", ["gzip", "deflate"])
def test_otlp_http_exporter_compressions(collector, client, compression):
    """The stock OTLP/HTTP exporter's compressions: deflate bodies were read as protobuf
    and refused as corrupt (400), so such an app lost every span."""
    http = pytest.importorskip("opentelemetry.exporter.otlp.proto.http")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HTTPSpanExporter,
    )

    exporter = HTTPSpanExporter(endpoint=f"{collector.http_url}/v1/traces",
                                compression=http.Compression(compression))  # fmt: skip
    provider = TracerProvider(resource=Resource.create({"service.name": "otlp-http"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("plain").start_as_current_span(f"sent-{compression}") as span:
        trace_id = format_trace_id(span.get_span_context().trace_id)
    provider.shutdown()
    trace = client.get_trace(trace_id)
    assert trace is not None and trace.data.spans[0].name == f"sent-{compression}"


def test_otlp_http_unknown_content_encoding_is_415(collector, client):
    """An encoding the collector cannot undo is refused by name: read as protobuf, a
    compressed body could parse as an empty request and be acknowledged, then lost."""
    trace_id = os.urandom(16)
    body = _request(trace_id, "zstd").SerializeToString()
    status, reply = _post(f"{collector.http_url}/v1/traces", body, "application/x-protobuf",
                          encoding="zstd")  # fmt: skip
    assert status == 415 and "zstd" in json.loads(reply)["message"]
    assert client.get_trace(trace_id.hex()) is None


def test_otlp_http_json_with_hex_ids(collector, client):
    trace_id = os.urandom(16).hex()
    span_id = os.urandom(8).hex()
    payload = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "manual"},
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": span_id,
                                "name": "http-json",
                                "kind": 2,
                                "startTimeUnixNano": "1760000000000000000",
                                "endTimeUnixNano": "1760000000100000000",
                                "attributes": [{"key": "flag", "value": {"boolValue": True}}],
                                "status": {"code": 2, "message": "boom"},
                            }
                        ],
                    }
                ],
            }
        ]
    }
    status, _ = _post(
        f"{collector.http_url}/v1/traces", json.dumps(payload).encode(), "application/json"
    )
    assert status == 200
    trace = client.get_trace(trace_id)
    (span,) = trace.data.spans
    assert span.span_id == span_id and span.name == "http-json"
    assert span.status == "ERROR" and span.status_message == "boom"
    assert span.attributes["flag"] == "true"
    assert span.service_name == "json-svc"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\x00garbage", "application/x-protobuf"),
        (b"{not json", "application/json"),
        (
            json.dumps(
                {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}
            ).encode(),
            "application/json",
        ),
    ],
)
def test_malformed_otlp_http_is_rejected_with_a_message(collector, body, content_type):
    status, reply = _post(f"{collector.http_url}/v1/traces", body, content_type)
    assert status == 400
    assert json.loads(reply)["message"]


def test_spans_with_bad_ids_store_nothing_of_the_request(collector, client):
    good_trace = os.urandom(16)
    request = _request(good_trace, "good")
    bad = request.resource_spans[0].scope_spans[0].spans.add()
    bad.CopyFrom(request.resource_spans[0].scope_spans[0].spans[0])
    bad.span_id = b"\x01\x02"  # wrong length
    status, _ = _post(
        f"{collector.http_url}/v1/traces", request.SerializeToString(), "application/x-protobuf"
    )
    assert status == 400
    assert client.get_trace(good_trace.hex()) is None


def test_query_api_errors_are_4xx_with_a_message(collector):
    import spanwise

    c = spanwise.Client(collector.http_url)
    with pytest.raises(spanwise.SpanwiseAPIError) as err:
        c.get_trace("not-a-trace-id")
    assert err.value.status == 400 and "32 hexadecimal" in err.value.message
    assert c.get_trace("0" * 31 + "1") is None
    with pytest.raises(spanwise.SpanwiseAPIError) as err:
        c.search_traces(page_token="garbage!")
    assert err.value.status == 400 and "page token" in err.value.message.replace("_", " ")
