"""``POST /v1/traces``: OTLP/HTTP with protobuf or JSON bodies (also at the path the
Langfuse SDK posts to)."""

from __future__ import annotations

import json
import zlib

from fastapi import APIRouter, Depends, Request, Response
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from ..pipeline.pipeline import Pipeline
from ..receiver.errors import classify
from ..receiver.otlp_grpc import PROJECT_HEADER
from .deps import get_pipeline

router = APIRouter(tags=["otlp"])

MAX_BODY_BYTES = 32 * 1024 * 1024
PROTOBUF = "application/x-protobuf"


_EMPTY_RESPONSE = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()


def _reply(content_type: str, status: int = 200, message: str = "") -> Response:
    """Success in the request's encoding; errors always as JSON with a message."""
    if status == 200 and not content_type.startswith("application/json"):
        return Response(_EMPTY_RESPONSE, media_type=PROTOBUF)
    headers = {"Retry-After": "1"} if status in (429, 503) else None
    body = "{}" if status == 200 else json.dumps({"code": status, "message": message})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


class _TooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    """The body, refusing (before reading it all) anything over MAX_BODY_BYTES."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class _UnknownEncoding(Exception):
    pass


def _inflate(body: bytes, wbits: int) -> bytes:
    """Decompress with the same cap as the body (a small gzip bomb stays small)."""
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(body, MAX_BODY_BYTES + 1)
    if len(out) > MAX_BODY_BYTES or inflater.unconsumed_tail:
        raise _TooLarge
    if not inflater.eof:
        raise zlib.error("truncated stream")
    return out


def _decode_content(body: bytes, encoding: str) -> bytes:
    """The body without its Content-Encoding: gzip, or deflate (which OTel's Python
    OTLP/HTTP exporter offers: zlib-wrapped, raw deflate accepted too). Any other
    encoding is refused: read as protobuf, compressed bytes could parse as an empty
    request and be acknowledged with nothing stored."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        return _inflate(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return _inflate(body, zlib.MAX_WBITS)
        except zlib.error:
            return _inflate(body, -zlib.MAX_WBITS)
    raise _UnknownEncoding(encoding)


@router.post("/v1/traces", summary="OTLP/HTTP trace export (protobuf or JSON)")
# Where the Langfuse SDK (v3+, OpenTelemetry inside) sends its spans: pointing its host
# (LANGFUSE_BASE_URL) at a collector is all a Langfuse app needs to change.
@router.post("/api/public/otel/v1/traces", summary="OTLP/HTTP at the Langfuse SDK's path")
async def export_traces(request: Request, pipeline: Pipeline = Depends(get_pipeline)) -> Response:
    content_type = (request.headers.get("content-type") or PROTOBUF).lower()
    too_large = f"request body over the limit of {MAX_BODY_BYTES} bytes (MAX_BODY_BYTES)"
    try:
        body = await _read_body(request)
        encoding = request.headers.get("content-encoding", "")
        try:
            body = _decode_content(body, encoding)
        except zlib.error:
            return _reply(content_type, 400, f"body is not valid {encoding.strip().lower()}")
    except _TooLarge:
        return _reply(content_type, 413, too_large)
    except _UnknownEncoding as exc:
        return _reply(content_type, 415, f"unsupported content encoding {str(exc)!r}; "
                      "use gzip, deflate or none")  # fmt: skip
    try:
        project = request.headers.get(PROJECT_HEADER) or "default"
        from starlette.concurrency import run_in_threadpool

        # Decoded off the event loop, in a worker process when the pool is up.
        if content_type.startswith("application/json"):
            await run_in_threadpool(pipeline.consume_bytes, body, project, "json")
        elif content_type.startswith(PROTOBUF):
            await run_in_threadpool(pipeline.consume_bytes, body, project)
        else:
            return _reply("application/json", 415, f"unsupported content type {content_type!r}; "
                          "use application/x-protobuf or application/json")  # fmt: skip
    except Exception as exc:
        outcome = classify(exc)
        return _reply(content_type, outcome.http_status, outcome.message)
    return _reply(content_type)
