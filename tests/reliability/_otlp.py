"""Build OTLP requests and send them over real gRPC, for collector tests."""

from __future__ import annotations

import os
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from tests.support.otlp import key_value as attr


def new_trace_id() -> bytes:
    return os.urandom(16)


def trace_request(
    trace_id: bytes, n_spans: int, tokens: int = 0, start_ns: int | None = None
) -> trace_service_pb2.ExportTraceServiceRequest:
    """One trace: a root span and ``n_spans - 1`` children, each LLM child with tokens."""
    start = start_ns or time.time_ns()
    root = os.urandom(8)
    spans = []
    for i in range(n_spans):
        attributes = [attr("spanwise.span.type", "LLM" if i else "AGENT")]
        if i and tokens:
            attributes += [attr("gen_ai.request.model", "gpt-test"),
                           attr("gen_ai.usage.input_tokens", tokens),
                           attr("gen_ai.usage.output_tokens", tokens)]  # fmt: skip
        spans.append(trace_pb2.Span(
            trace_id=trace_id, span_id=root if i == 0 else os.urandom(8),
            parent_span_id=b"" if i == 0 else root, name=f"span-{i}",
            start_time_unix_nano=start + i, end_time_unix_nano=start + i + 1000,
            attributes=attributes,
        ))  # fmt: skip
    return wrap(spans)


def wrap(spans: list[trace_pb2.Span], service: str = "reliability") -> Any:
    return trace_service_pb2.ExportTraceServiceRequest(resource_spans=[
        trace_pb2.ResourceSpans(
            resource=resource_pb2.Resource(attributes=[attr("service.name", service)]),
            scope_spans=[trace_pb2.ScopeSpans(spans=spans)],
        )
    ])  # fmt: skip


def stub(target: str) -> Any:
    import grpc

    channel = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)])
    return trace_service_pb2_grpc.TraceServiceStub(channel), channel
