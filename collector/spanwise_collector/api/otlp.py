"""``POST /v1/traces``: OTLP/HTTP with protobuf or JSON bodies."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request, Response
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from ..pipeline.convert import InvalidSpans
from ..pipeline.pipeline import Pipeline
from ..receiver.errors import classify
from ..receiver.otlp_json import parse_json_request
from .deps import get_pipeline

router = APIRouter(tags=["otlp"])

MAX_BODY_BYTES = 32 * 1024 * 1024
PROTOBUF = "application/x-protobuf"


def _reply(content_type: str, status: int = 200, message: str = "") -> Response:
    if content_type.startswith("application/json"):
        body = "{}" if status == 200 else json.dumps({"code": status, "message": message})
        return Response(body, status_code=status, media_type="application/json")
    if status == 200:
        payload = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        return Response(payload, media_type=PROTOBUF)
    return Response(json.dumps({"code": status, "message": message}), status_code=status,
                    media_type="application/json")  # fmt: skip


@router.post("/v1/traces", summary="OTLP/HTTP trace export (protobuf or JSON)")
async def export_traces(request: Request, pipeline: Pipeline = Depends(get_pipeline)) -> Response:
    content_type = (request.headers.get("content-type") or PROTOBUF).lower()
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _reply(content_type, 413, f"request body over the limit of {MAX_BODY_BYTES} bytes")
    if request.headers.get("content-encoding", "").lower() == "gzip":
        import gzip

        try:
            body = gzip.decompress(body)
        except (OSError, EOFError):
            return _reply(content_type, 400, "body is not valid gzip")
    try:
        if content_type.startswith("application/json"):
            try:
                payload = json.loads(body)
            except ValueError as exc:
                raise InvalidSpans(f"invalid JSON: {exc}") from None
            otlp = parse_json_request(payload)
        elif content_type.startswith(PROTOBUF):
            otlp = trace_service_pb2.ExportTraceServiceRequest()
            try:
                otlp.ParseFromString(body)
            except DecodeError as exc:
                raise InvalidSpans(f"invalid protobuf: {exc}") from None
        else:
            return _reply("application/json", 415, f"unsupported content type {content_type!r}; "
                          "use application/x-protobuf or application/json")  # fmt: skip
        project = request.headers.get("x-spanwise-project") or "default"
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(pipeline.consume, otlp, project)
    except Exception as exc:
        outcome = classify(exc)
        return _reply(content_type, outcome.http_status, outcome.message)
    return _reply(content_type)
