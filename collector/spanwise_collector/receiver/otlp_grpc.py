"""OTLP/gRPC trace receiver: the standard ``TraceService/Export``."""

from __future__ import annotations

import logging
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from ..pipeline.pipeline import Pipeline
from .errors import classify

logger = logging.getLogger("spanwise.collector")

PROJECT_HEADER = "x-spanwise-project"
PROJECT_BIN_HEADER = f"{PROJECT_HEADER}-bin"
SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
RETRY_INFO_KEY = "google.rpc.retryinfo-bin"
RETRY_AFTER_S = 1.0


def _retry_info(seconds: float) -> bytes:
    # OTLP says RESOURCE_EXHAUSTED is retryable only with RetryInfo; OTel SDKs wait its delay.
    from google.rpc.error_details_pb2 import RetryInfo

    info = RetryInfo()
    info.retry_delay.FromNanoseconds(int(seconds * 1e9))
    return info.SerializeToString()


def project_from_metadata(context: grpc.ServicerContext) -> str:
    """The sender's project: ``x-spanwise-project``, or its ``-bin`` form (UTF-8 bytes),
    which the SDK sends for names gRPC refuses as plain metadata (not printable ASCII)."""
    plain = ""
    for key, value in context.invocation_metadata() or ():
        if key == PROJECT_BIN_HEADER and value:
            return bytes(value).decode("utf-8", "replace")
        if key == PROJECT_HEADER and value:
            plain = str(value)
    return plain or "default"


class TraceReceiver(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def Export(self, data: bytes, context: grpc.ServicerContext) -> Any:
        # Raw bytes in: a malformed body is our INVALID_ARGUMENT with a message, not
        # gRPC's generic INTERNAL "exception deserializing request".
        try:
            self.pipeline.consume_bytes(data, project=project_from_metadata(context))
        except Exception as exc:
            outcome = classify(exc)
            if outcome.retryable:
                logger.warning("OTLP/gRPC export refused (retryable): %s", outcome.message)
            if outcome.grpc_code == "RESOURCE_EXHAUSTED":
                context.set_trailing_metadata(((RETRY_INFO_KEY, _retry_info(RETRY_AFTER_S)),))
            context.abort(getattr(grpc.StatusCode, outcome.grpc_code), outcome.message)
        return trace_service_pb2.ExportTraceServiceResponse()


def add_bytes_method(
    server: grpc.Server, service: str, method: str, behaviour: Any, response: Any
) -> None:
    """Serve ``service/method`` with ``behaviour(request_bytes, context)``: the request
    is parsed there, so a malformed one gets INVALID_ARGUMENT with a message (gRPC's
    own deserializer failed it as INTERNAL)."""
    handler = grpc.unary_unary_rpc_method_handler(
        behaviour, request_deserializer=None, response_serializer=response.SerializeToString
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service, {method: handler}),)
    )


def add_to_server(server: grpc.Server, pipeline: Pipeline) -> None:
    add_bytes_method(server, SERVICE, "Export", TraceReceiver(pipeline).Export,
                     trace_service_pb2.ExportTraceServiceResponse)  # fmt: skip
