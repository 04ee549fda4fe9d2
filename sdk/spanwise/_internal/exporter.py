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
# A Spanwise collector refuses requests over 32 MiB (and OTel's over 4 MiB by default):
# a batch bigger than this goes in several requests. 1,024 spans with 32,000-character
# inputs and outputs make ~65 MB; refused, the whole batch was lost.
MAX_REQUEST_BYTES = 4 * 1024 * 1024


def split_request(
    spans: list[Any], encode: Any = encode_request, limit: int = MAX_REQUEST_BYTES
) -> list[tuple[list[Any], bytes]]:
    """``spans`` as (spans, encoded request) parts of at most ``limit`` bytes each (a span
    bigger than that alone in its part). Encoded once when the batch fits (the usual case)."""
    request = encode(spans)
    if len(request) <= limit or len(spans) == 1:
        return [(spans, request)]
    half = len(spans) // 2
    return split_request(spans[:half], encode, limit) + split_request(spans[half:], encode, limit)


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
    """``OTLPSpanExporter`` sending the bytes of our encoder, in requests of at most
    ``MAX_REQUEST_BYTES`` (a bigger batch goes in halves; a lone span as it is).

    The OTel stub wants a message object: parsing our bytes into one and gRPC
    serialising it again cost ~2 µs a span and two more copies of the batch; the
    bytes are checked against OTel's encoder by tests/sdk/test_wire.py instead."""

    def _initialize_channel_and_stub(self) -> None:
        # Also called again by the base class to reconnect after UNAVAILABLE.
        super()._initialize_channel_and_stub()
        self._client = _BytesTraceServiceStub(self._channel)

    _request: bytes | None = None  # the part being sent, encoded by export()

    def export(self, spans: Sequence[Any]) -> Any:
        try:
            parts = split_request(list(spans))
        except Exception:  # _translate_data logs it and falls back to OTel's encoder
            return super().export(spans)
        result = None
        for part, request in parts:
            self._request = request
            try:
                result = super().export(part)
            finally:
                self._request = None
            if result != SpanExportResult.SUCCESS:
                break  # e.g. the collector is down: do not wait out every part
        return result

    def _translate_data(self, data: Sequence[Any]) -> bytes:  # type: ignore[override]
        if self._request is not None:
            return self._request
        try:
            return encode_request(data)
        except Exception:
            log_internal_error("encoding spans for export")
            return super()._translate_data(data).SerializeToString()
