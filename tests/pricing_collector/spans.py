"""Hand-built OTLP spans sent over OTLP/HTTP (protobuf) to a real collector."""

from __future__ import annotations

import os
import urllib.request
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from tests.support.otlp import key_value

AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def ns(at: datetime) -> int:
    return int(at.timestamp()) * 1_000_000_000


def span(
    trace_id: bytes,
    name: str,
    attrs: dict[str, Any],
    *,
    at: datetime = AT,
    parent: bytes | None = None,
    span_id: bytes | None = None,
) -> trace_pb2.Span:
    start = ns(at)
    return trace_pb2.Span(
        trace_id=trace_id,
        span_id=span_id or os.urandom(8),
        parent_span_id=parent or b"",
        name=name,
        start_time_unix_nano=start,
        end_time_unix_nano=start + 1_000_000_000,
        attributes=[key_value(k, v) for k, v in attrs.items()],
    )


def llm(model: str, provider: str, inp: int, out: int, **extra: Any) -> dict[str, Any]:
    """GenAI semconv attributes of a chat call."""
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.system": provider,
        "gen_ai.usage.input_tokens": inp,
        "gen_ai.usage.output_tokens": out,
        **extra,
    }


def request(
    spans: list[trace_pb2.Span], project: str = "pricing-tests"
) -> trace_service_pb2.ExportTraceServiceRequest:
    return trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[
            trace_pb2.ResourceSpans(
                resource=resource_pb2.Resource(
                    attributes=[
                        key_value("service.name", "pricing-tests"),
                        key_value("spanwise.project", project),
                    ]
                ),
                scope_spans=[trace_pb2.ScopeSpans(spans=spans)],
            )
        ]
    )


def send(http_url: str, spans: list[trace_pb2.Span], project: str = "pricing-tests") -> None:
    req = urllib.request.Request(
        f"{http_url}/v1/traces",
        data=request(spans, project).SerializeToString(),
        method="POST",
        headers={"content-type": "application/x-protobuf"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
