"""The OTLP/gRPC span exporter: OTel's ``OTLPSpanExporter`` (its channel, headers,
retries with backoff, timeouts) with the request built by ``wire.encode_request``.

Imported only when the export pipeline is built, never by ``import spanwise``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

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


class SpanwiseSpanExporter(OTLPSpanExporter):
    """``OTLPSpanExporter`` sending the bytes of our encoder.

    The OTel stub wants a message object: parsing our bytes into one and gRPC
    serialising it again cost ~2 µs a span and two more copies of the batch; the
    bytes are checked against OTel's encoder by tests/sdk/test_wire.py instead."""

    def _initialize_channel_and_stub(self) -> None:
        # Also called again by the base class to reconnect after UNAVAILABLE.
        super()._initialize_channel_and_stub()
        self._client = _BytesTraceServiceStub(self._channel)

    def _translate_data(self, data: Sequence[Any]) -> bytes:  # type: ignore[override]
        try:
            return encode_request(data)
        except Exception:
            log_internal_error("encoding spans for export")
            return super()._translate_data(data).SerializeToString()
