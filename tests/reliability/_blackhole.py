"""Misbehaving collectors for SDK tests: a TCP blackhole and a scripted gRPC server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from concurrent import futures
from typing import Any


class Blackhole:
    """Accepts TCP connections and never answers (a stalled collector)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)  # held open, never read or answered

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop = True
        for conn in self.conns:
            conn.close()
        self.sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScriptedCollector:
    """A real gRPC TraceService on 127.0.0.1 whose answers a test scripts:
    ``answer(call_number) -> None`` (success) or ``(grpc.StatusCode, details, trailing)``."""

    def __init__(self, answer: Callable[[int], Any]) -> None:
        import grpc
        from opentelemetry.proto.collector.trace.v1 import (
            trace_service_pb2,
            trace_service_pb2_grpc,
        )

        self.calls: list[int] = []  # span count of every Export call
        self.delivered: list[Any] = []  # spans of successful calls
        self._lock = threading.Lock()
        outer = self

        class Servicer(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request: Any, context: Any) -> Any:
                spans = [s for rs in request.resource_spans for ss in rs.scope_spans
                         for s in ss.spans]  # fmt: skip
                with outer._lock:
                    outer.calls.append(len(spans))
                    n = len(outer.calls)
                verdict = answer(n)
                if verdict is not None:
                    code, details, trailing = verdict
                    if trailing:
                        context.set_trailing_metadata(trailing)
                    context.abort(code, details)
                with outer._lock:
                    outer.delivered.extend(spans)
                return trace_service_pb2.ExportTraceServiceResponse()

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Servicer(), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(0)
