"""One load-generator process of the ingest benchmark: OTLP requests for a time budget.

Environment (set by bench_ingest.py):
  BENCH_PROTOCOL      grpc | http
  BENCH_TARGET        host:port (gRPC) or the full OTLP/HTTP URL (…/v1/traces)
  BENCH_HEADERS       JSON object of extra headers / gRPC metadata
  BENCH_START_AT      wall-clock time (time.time()) at which all senders start
  BENCH_SECONDS       time budget
  BENCH_SPANS         spans per request (whole traces, so a few more)
  BENCH_THREADS       concurrent requests in flight from this process
  BENCH_SEED          template seed (different per process)
  BENCH_WARMUP        1: each thread sends one uncounted request (one trace) before the start
  BENCH_DRAIN         seconds to wait after the budget for replies still in flight (30)

Each thread sends one request at a time, like an SDK's batch exporter, and retries a
refused one (gRPC UNAVAILABLE/RESOURCE_EXHAUSTED, HTTP 429/503) after a short pause.
Prints one JSON line: spans and requests acknowledged, refusals, reply latencies (ms).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from tests.bench.workloads.llm_traces import build_templates

TEMPLATES = 6


class _Fresh:
    """Templates with their trace-id offsets: a fresh request is a copy with new ids."""

    def __init__(self, seed: int, spans: int) -> None:
        self.items = []
        # the last template is one trace: the warm-up request (cheap even on a slow peer)
        for t in [*build_templates(seed, TEMPLATES, spans), *build_templates(seed, 1, 1)]:
            offsets = []
            for tid in t.trace_ids:
                at = t.body.find(tid)
                while at >= 0:
                    offsets.append((at, tid))
                    at = t.body.find(tid, at + 16)
            self.items.append((t, offsets))

    def request(self, i: int) -> tuple[bytes, int]:
        t, offsets = self.items[i % TEMPLATES if i >= 0 else -1]
        buf = bytearray(t.body)
        new = {tid: os.urandom(16) for tid in t.trace_ids}
        for at, tid in offsets:
            buf[at : at + 16] = new[tid]
        return bytes(buf), t.spans


def _grpc_sender(target: str, headers: dict[str, str]) -> Any:
    import grpc

    channel = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)])
    call = channel.unary_unary(
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        request_serializer=None,
        response_deserializer=None,
    )
    metadata = tuple(headers.items())
    retry = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)

    def send(body: bytes) -> bool:
        try:
            call(body, timeout=300, metadata=metadata)
            return True
        except grpc.RpcError as exc:
            if exc.code() in retry:
                return False
            raise

    return send


def _http_sender(url: str, headers: dict[str, str]) -> Any:
    hdrs = {"Content-Type": "application/x-protobuf", **headers}

    def send(body: bytes) -> bool:
        req = urllib.request.Request(url, data=body, headers=hdrs, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=300) as reply:
                reply.read()
            return True
        except urllib.error.HTTPError as exc:
            if exc.code in (429, 502, 503, 504):
                return False
            raise RuntimeError(f"HTTP {exc.code}: {exc.read()[:300]!r}") from exc

    return send


def main() -> None:
    env = os.environ
    protocol, target = env["BENCH_PROTOCOL"], env["BENCH_TARGET"]
    headers = json.loads(env.get("BENCH_HEADERS") or "{}")
    seconds = float(env["BENCH_SECONDS"])
    threads = int(env.get("BENCH_THREADS", "2"))
    fresh = _Fresh(int(env.get("BENCH_SEED", "1")), int(env.get("BENCH_SPANS", "512")))
    make = _grpc_sender if protocol == "grpc" else _http_sender
    start_at = float(env.get("BENCH_START_AT") or time.time())
    warmup = env.get("BENCH_WARMUP") == "1"
    drain = float(env.get("BENCH_DRAIN", "30"))
    lock = threading.Lock()
    totals = {"spans": 0, "late_spans": 0, "requests": 0, "refused": 0, "errors": 0,
              "warmup_spans": 0}  # fmt: skip
    latencies: list[float] = []
    errors: list[str] = []

    def worker(k: int) -> None:
        send = make(target, headers)
        deadline = start_at + seconds
        i = k
        if warmup and time.time() < start_at - 1:
            body, spans = fresh.request(-1)
            try:
                if send(body):  # connection + server warm-up, not counted
                    with lock:
                        totals["warmup_spans"] += spans
            except Exception:
                pass
            time.sleep(max(0.0, start_at - time.time()))
        while True:
            body, spans = fresh.request(i)
            i += threads
            while True:
                if time.time() >= deadline:
                    return
                started = time.perf_counter()
                try:
                    ok = send(body)
                except Exception as exc:  # a permanent error: count it, don't retry
                    with lock:
                        totals["errors"] += 1
                        errors.append(str(exc)[:300])
                    time.sleep(0.2)
                    break
                took = time.perf_counter() - started
                if ok:
                    with lock:  # acks after the budget count apart
                        late = time.time() > deadline
                        totals["late_spans" if late else "spans"] += spans
                        totals["requests"] += 1
                        latencies.append(round(took * 1000, 2))
                    if late:
                        return
                    break
                with lock:
                    totals["refused"] += 1
                time.sleep(0.05)

    time.sleep(max(0.0, start_at - time.time()))
    pool = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:  # replies to requests sent in the budget may take a while (slow peers)
        t.join(max(0.0, start_at + seconds + drain - time.time()))
    with lock:
        totals["in_flight_at_exit"] = sum(t.is_alive() for t in pool)
        out = json.dumps({**totals, "latencies_ms": latencies, "error_samples": errors[:3]})
    print(out, flush=True)
    os._exit(0)  # don't wait for requests still in flight


if __name__ == "__main__":
    main()
