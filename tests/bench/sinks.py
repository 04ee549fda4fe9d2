"""Discarding OTLP sinks: every system exports over its real wire path, nothing is stored.

    python -m tests.bench.sinks      # prints "grpc=PORT http=PORT" first, serves until killed

- OTLP/gRPC (TraceService/Export) on `grpc`;
- OTLP/HTTP on `http`: POST to any path ending in /v1/traces (Langfuse posts to
  /api/public/otel/v1/traces), protobuf or JSON;
- GET /stats on `http`: {"spans", "requests", "bytes"} received so far, so the harness
  counts spans at the receiving side (exporters drop silently when queues fill).
"""

from __future__ import annotations

import gzip
import json
import signal
import sys
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["main"]


class _Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.spans = 0
        self.requests = 0
        self.bytes = 0

    def add(self, spans: int, size: int) -> None:
        with self.lock:
            self.spans += spans
            self.requests += 1
            self.bytes += size

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {"spans": self.spans, "requests": self.requests, "bytes": self.bytes}


def _span_count(req: Any) -> int:
    return sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)


def _grpc_server(counts: _Counts) -> tuple[Any, int]:
    import grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

    class Servicer(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request: Any, context: Any) -> Any:
            counts.add(_span_count(request), request.ByteSize())
            return trace_service_pb2.ExportTraceServiceResponse()

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def _http_server(counts: _Counts) -> ThreadingHTTPServer:
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    empty = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: bytes, ctype: str) -> None:
            head = f"HTTP/1.1 {status} OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
            self.wfile.write(head.encode() + body)

        def do_GET(self) -> None:
            if self.path == "/stats":
                self._reply(200, json.dumps(counts.snapshot()).encode(), "application/json")
            else:
                self._reply(200, b"{}", "application/json")  # health checks of any kind

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            size = len(raw)
            if self.headers.get("Content-Encoding") == "gzip":  # Langfuse's default
                raw = gzip.decompress(raw)
            spans = 0
            if self.path.split("?")[0].endswith("/v1/traces"):
                if "json" in (self.headers.get("Content-Type") or ""):
                    doc = json.loads(raw or b"{}")
                    spans = sum(
                        len(ss.get("spans", []))
                        for rs in doc.get("resourceSpans", [])
                        for ss in rs.get("scopeSpans", [])
                    )
                    self._reply(200, b"{}", "application/json")
                else:
                    req = trace_service_pb2.ExportTraceServiceRequest.FromString(raw)
                    spans = _span_count(req)
                    self._reply(200, empty, "application/x-protobuf")
            else:
                self._reply(200, b"{}", "application/json")
            counts.add(spans, size)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def main() -> int:
    counts = _Counts()
    grpc_server, grpc_port = _grpc_server(counts)
    http_server = _http_server(counts)
    print(f"grpc={grpc_port} http={http_server.server_address[1]}", flush=True)

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        http_server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        http_server.server_close()
        grpc_server.stop(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
