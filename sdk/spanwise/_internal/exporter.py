"""The OTLP/gRPC span exporter: OTel's ``OTLPSpanExporter`` (its channel, headers,
retries with backoff, timeouts) with the request built by ``wire.encode_request``.

Imported only when the export pipeline is built, never by ``import spanwise``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.trace.export import SpanExportResult

from .errors import log_internal_error
from .wire import encode_request

__all__ = ["SpanwiseSpanExporter"]

_EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


class _BytesTraceServiceStub:
    """``TraceServiceStub`` taking the request as encoded bytes (no serializer: gRPC
    sends them as they are)."""

    def __init__(self, channel: Any) -> None:
        try:  # registered once with the channel, as the generated stub does
            self.Export = channel.unary_unary(
                _EXPORT_METHOD,
                request_serializer=None,
                response_deserializer=ExportTraceServiceResponse.FromString,
                _registered_method=True,
            )
        except TypeError:  # a grpcio without registered methods
            self.Export = channel.unary_unary(
                _EXPORT_METHOD,
                request_serializer=None,
                response_deserializer=ExportTraceServiceResponse.FromString,
            )


# Requests are split to stay under this: gRPC's default receive limit, which OTLP/gRPC
# receivers keep (the OpenTelemetry Collector's 4 MiB; the Spanwise collector takes 32).
# A batch of 1,024 spans with 32,000-character inputs and outputs (max_value_chars) was
# one 65 MB request, refused whole (RESOURCE_EXHAUSTED) at every attempt: all lost.
MAX_REQUEST_BYTES = 4 * 1024 * 1024


class SpanwiseSpanExporter(OTLPSpanExporter):
    """``OTLPSpanExporter`` sending the bytes of our encoder, in requests of at most
    ``MAX_REQUEST_BYTES`` (a bigger batch goes in halves; a lone span as it is).

    The OTel stub wants a message object: parsing our bytes into one and gRPC
    serialising it again cost ~2 µs a span and two more copies of the batch; the
    bytes are checked against OTel's encoder by tests/sdk/test_wire.py instead."""

    _encoded: tuple[Any, bytes] | None = None  # (batch, its bytes), for _translate_data

    def _initialize_channel_and_stub(self) -> None:
        # Also called again by the base class to reconnect after UNAVAILABLE.
        super()._initialize_channel_and_stub()
        self._client = _BytesTraceServiceStub(self._channel)

    def export(self, spans: Sequence[Any]) -> Any:
        data = self._translate_data(spans)
        if len(data) > MAX_REQUEST_BYTES and len(spans) > 1:
            half = len(spans) // 2
            result = self.export(spans[:half])
            if result != SpanExportResult.SUCCESS:
                return result  # the collector is failing: the rest would fail too
            return self.export(spans[half:])
        self._encoded = (spans, data)  # the base class encodes at each attempt
        try:
            return super().export(spans)
        finally:
            self._encoded = None

    def _translate_data(self, data: Sequence[Any]) -> bytes:  # type: ignore[override]
        encoded = self._encoded
        if encoded is not None and encoded[0] is data:
            return encoded[1]
        try:
            return encode_request(data)
        except Exception:
            log_internal_error("encoding spans for export")
            return super()._translate_data(data).SerializeToString()
