"""A known set of traces, sent to the real collector as OTLP/gRPC with explicit ids,
timestamps and attributes, for exact-result search tests."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.trace.v1 import trace_pb2

from tests.support.otlp import key_value

HOUR_NS = 3_600 * 10**9


@dataclass
class S:
    """One span: name, type, offset/duration in ms from the trace start, attributes."""

    name: str
    type: str = "CHAIN"
    start_ms: float = 0
    duration_ms: float = 10
    error: bool = False
    attrs: dict[str, object] = field(default_factory=dict)
    children: list[S] = field(default_factory=list)


def llm(model: str, provider: str, tokens_in: int, tokens_out: int, **kw: object) -> S:
    attrs = {"gen_ai.request.model": model, "gen_ai.provider.name": provider,
             "gen_ai.usage.input_tokens": tokens_in, "gen_ai.usage.output_tokens": tokens_out}  # fmt: skip
    attrs.update(kw.pop("attrs", {}) or {})  # type: ignore[arg-type]
    return S(name=str(kw.pop("name", "chat")), type="LLM", attrs=attrs, **kw)  # type: ignore[arg-type]


def new_trace_id() -> str:
    return os.urandom(16).hex()


def build(trace_id: str, root: S, start_ns: int) -> list[trace_pb2.Span]:
    out: list[trace_pb2.Span] = []

    def add(span: S, parent: bytes) -> None:
        sid = os.urandom(8)
        begin = start_ns + int(span.start_ms * 1e6)
        pb = trace_pb2.Span(
            trace_id=bytes.fromhex(trace_id), span_id=sid, parent_span_id=parent,
            name=span.name, kind=trace_pb2.Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=begin, end_time_unix_nano=begin + int(span.duration_ms * 1e6),
        )  # fmt: skip
        attrs = {"spanwise.span.type": span.type, **span.attrs}
        for key, value in attrs.items():
            pb.attributes.append(key_value(key, value))
        if span.error:
            pb.status.code = trace_pb2.Status.STATUS_CODE_ERROR
        out.append(pb)
        for child in span.children:
            add(child, sid)

    add(root, b"")
    return out


def send(target: str, project: str, spans: list[trace_pb2.Span]) -> None:
    request = trace_service_pb2.ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    scope.spans.extend(spans)
    with grpc.insecure_channel(target) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        stub.Export(request, metadata=[("x-spanwise-project", project)], timeout=30)


def base_ns() -> int:
    """A start time two hours ago, whole seconds (inside 'the last day')."""
    return (time.time_ns() // 10**9) * 10**9 - 2 * HOUR_NS
