"""Soak: sustained OTLP/gRPC ingest from several processes while queries run.

    python -m tests.bench.soak --seconds 600 --senders 4

Starts a collector subprocess on a fresh chDB directory, runs ``--senders``
sender processes (one LLM-like trace of ``--spans`` spans per request, retrying
refused requests like an SDK would), queries the API meanwhile, samples the
RSS of the collector's process tree, then stops the collector with SIGTERM, opens the store and
checks that every acknowledged span is stored exactly once. Prints a JSON report:
spans/s, OTLP reply latency p50/p99, query latency p99, RSS over time, spans lost.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

PROMPT = ("You are a careful research assistant. Summarise the findings below and cite "
          "every source you use. ") * 6  # fmt: skip


def _request(trace_id: bytes, n_spans: int) -> object:
    from opentelemetry.proto.trace.v1 import trace_pb2

    from tests.reliability._otlp import attr, wrap

    now = time.time_ns()
    root = os.urandom(8)
    spans = []
    for i in range(n_spans):
        attrs = [attr("spanwise.span.type", "LLM" if i else "AGENT")]
        if i:
            attrs += [attr("gen_ai.request.model", "gpt-4o-mini"), attr("gen_ai.system", "openai"),
                      attr("gen_ai.usage.input_tokens", 350 + i), attr("gen_ai.usage.output_tokens", 80),
                      attr("spanwise.inputs", json.dumps({"prompt": PROMPT, "i": i})),
                      attr("spanwise.outputs", json.dumps({"text": PROMPT[: 200 + i]}))]  # fmt: skip
        spans.append(trace_pb2.Span(
            trace_id=trace_id, span_id=root if i == 0 else os.urandom(8),
            parent_span_id=b"" if i == 0 else root, name=f"step-{i}",
            start_time_unix_nano=now + i * 1000, end_time_unix_nano=now + i * 1000 + 900_000,
            attributes=attrs,
        ))  # fmt: skip
    return wrap(spans, service="soak")


def sender(target: str, seconds: float, n_spans: int, out_path: str) -> None:
    import grpc

    from tests.reliability._otlp import stub

    export, channel = stub(target)
    acked: dict[str, int] = {}
    latencies: list[float] = []
    refused = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        trace_id = os.urandom(16)
        request = _request(trace_id, n_spans)
        for attempt in range(20):
            started = time.perf_counter()
            try:
                export.Export(request, timeout=30)
            except grpc.RpcError:
                refused += 1
                time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.8, 1.2))
                continue
            latencies.append(time.perf_counter() - started)
            acked[trace_id.hex()] = n_spans
            break
    channel.close()
    Path(out_path).write_text(
        json.dumps({"acked": acked, "latencies": latencies, "refused": refused})
    )


def rss_mb(pid: int) -> float:
    """RSS of ``pid`` and its children (the collector's conversion workers)."""
    from tests.bench.ingest_targets import process_tree

    total = 0.0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:  # exited meanwhile
            continue
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def querier(url: str, stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
    while not stop.is_set():
        for path in ("/api/v1/traces?limit=50", "/api/v1/traces?limit=5&include_spans=true"):
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(url + path, timeout=30) as reply:
                    reply.read()
                latencies.append(time.perf_counter() - started)
            except Exception as exc:
                errors.append(f"{path}: {exc}")
        stop.wait(0.5)


def verify(store_dir: str, acked: dict[str, int]) -> dict[str, int]:
    from spanwise_collector.store import open_store

    store = open_store(store_dir, create_schema=False)
    stored = dict(
        store.query("SELECT TraceId, uniqExact(SpanId) FROM otel_traces GROUP BY TraceId")
    )
    rows = store.query("SELECT count() FROM otel_traces")[0][0]
    summary = store.query("SELECT sum(SpanCount) FROM trace_summary")[0][0]
    # Parts the merges left behind under this load (many: slower reads, then inserts refused).
    parts = store.query(
        "SELECT count() FROM system.parts WHERE active AND database = {db:String}"
        " AND table = 'otel_traces'",
        {"db": store.database},
    )[0][0]
    store.close()
    lost = sum(max(0, n - stored.get(t, 0)) for t, n in acked.items())
    return {"spans_lost": lost, "rows_stored": int(rows), "summary_span_count": int(summary or 0),
            "spans_active_parts": int(parts)}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--spans", type=int, default=20, help="spans per request (one trace)")
    parser.add_argument("--store", default=None, help="chDB directory (default: a temp dir)")
    args = parser.parse_args(argv)

    from tests.support.collector import CollectorProcess

    work = Path(tempfile.mkdtemp(prefix="spanwise-soak-"))
    store_dir = args.store or str(work / "store")
    collector = CollectorProcess(store_dir)
    collector.start()
    pid = collector.proc.pid  # type: ignore[union-attr]
    ctx = mp.get_context("spawn")
    outs = [str(work / f"sender-{i}.json") for i in range(args.senders)]
    procs = [ctx.Process(target=sender, args=(collector.grpc_target, args.seconds, args.spans, o))
             for o in outs]  # fmt: skip
    stop = threading.Event()
    query_latencies: list[float] = []
    query_errors: list[str] = []
    rss: list[tuple[float, float]] = [(0.0, rss_mb(pid))]
    started = time.monotonic()
    for p in procs:
        p.start()
    q = threading.Thread(
        target=querier, args=(collector.http_url, stop, query_latencies, query_errors)
    )
    q.start()
    while any(p.is_alive() for p in procs):
        time.sleep(1)
        rss.append((round(time.monotonic() - started, 1), round(rss_mb(pid), 1)))
    elapsed = time.monotonic() - started
    stop.set()
    q.join()
    exit_code = collector.stop()
    acked: dict[str, int] = {}
    latencies: list[float] = []
    refused = 0
    for o in outs:
        data = json.loads(Path(o).read_text())
        acked.update(data["acked"])
        latencies += data["latencies"]
        refused += data["refused"]
    spans = sum(acked.values())
    report = {
        "seconds": round(elapsed, 1), "senders": args.senders, "spans_per_request": args.spans,
        "requests_acked": len(acked), "spans_acked": spans,
        "spans_per_s": round(spans / elapsed), "requests_refused_then_retried": refused,
        "reply_ms_p50": round(percentile(latencies, 0.5) * 1000, 1),
        "reply_ms_p99": round(percentile(latencies, 0.99) * 1000, 1),
        "query_ms_p99": round(percentile(query_latencies, 0.99) * 1000, 1),
        "queries": len(query_latencies), "query_errors": len(query_errors),
        "rss_mb_start": rss[0][1], "rss_mb_max": max(r for _, r in rss), "rss_mb_end": rss[-1][1],
        "rss_mb_over_time": [f"{t:g}s={r:g}MB" for t, r in rss[:: max(1, len(rss) // 20)]],
        "collector_exit_code": exit_code,
        **verify(store_dir, acked),
    }  # fmt: skip
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    result = main()
    sys.exit(
        0
        if result["spans_lost"] == 0 and result["summary_span_count"] == result["spans_acked"]
        else 1
    )
