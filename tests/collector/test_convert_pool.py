"""Requests decoded in worker processes are stored exactly as when decoded in the
collector process (priced too); bad input still fails cleanly; a killed worker loses
nothing and is replaced."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest
from spanwise_collector.costs import PricingProcessor
from spanwise_collector.pipeline.convert import InvalidSpans
from spanwise_collector.pipeline.pipeline import Pipeline
from spanwise_pricing import PriceBook

from tests.bench.workloads.llm_traces import build_templates, fresh_request
from tests.support.embedded import scratch_store
from tests.support.waiting import wait_for

# Every column but the insert time; maps and arrays sorted into text for comparing.
_ROWS = """
SELECT * EXCEPT (IngestedAt) FROM otel_traces
ORDER BY TraceId, SpanId FORMAT JSONEachRow
"""


@pytest.fixture(scope="module")
def book():
    return PriceBook.load()


@pytest.fixture
def stores(embedded_chdb_path):
    with (
        scratch_store(embedded_chdb_path, "pool") as a,
        scratch_store(embedded_chdb_path, "pool") as b,
    ):
        yield [a, b]


def _pipeline(store, book, tmp_path, workers: int) -> Pipeline:
    pipeline = Pipeline(
        store, processors=[PricingProcessor(book, store)],
        spool_dir=tmp_path / f"spool-{store.database}", convert_workers=workers,
    )  # fmt: skip
    if workers:
        pipeline.convert_pool.start()
        assert pipeline.convert_pool.ready.wait(120), "the conversion worker did not start"
    return pipeline


def _rows(store) -> str:
    with store.client() as c:
        return c.raw_query(_ROWS).decode()


def _same_rows_both_ways(stores, book, tmp_path, seed: int, encode, encoding: str) -> None:
    """Each request decoded in-process (protobuf) into ``stores[0]`` and, as ``encode``
    makes it, by a worker into ``stores[1]``: the stored rows are the same."""
    templates = build_templates(seed, 3, 120)
    bodies = [fresh_request(t) for t in templates]
    in_process = _pipeline(stores[0], book, tmp_path, workers=0)
    pooled = _pipeline(stores[1], book, tmp_path, workers=1)
    try:
        for body in bodies:
            in_process.consume_bytes(body, project="p1")
            pooled.consume_bytes(encode(body), project="p1", encoding=encoding)
        if encoding == "json":
            with pytest.raises(InvalidSpans, match="invalid JSON"):
                pooled.consume_bytes(b'{"resourceSpans": [', project="p1", encoding="json")
        assert in_process.sync(30) and pooled.sync(30)
        assert pooled.convert_pool.stats["converted"] == len(bodies)  # the workers did it
        expected = _rows(stores[0])
        assert expected.count("\n") == sum(t.spans for t in templates)
        assert '"CostStatus":"ok"' in expected  # LLM spans were priced
        assert _rows(stores[1]) == expected
    finally:
        in_process.close()
        pooled.close()


def test_worker_decoding_stores_what_in_process_decoding_stores(stores, book, tmp_path):
    _same_rows_both_ways(stores, book, tmp_path, 7, lambda body: body, "protobuf")


def _as_otlp_json(body: bytes) -> bytes:
    """The same request in OTLP/JSON (ids in hex, as the spec spells them)."""
    import base64
    import json

    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
    payload = json_format.MessageToDict(request)
    for rs in payload["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for item in (span, *span.get("links", ())):
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if key in item:
                            item[key] = base64.b64decode(item[key]).hex()
    return json.dumps(payload).encode()


def test_otlp_json_is_decoded_by_the_workers_too(stores, book, tmp_path):
    _same_rows_both_ways(stores, book, tmp_path, 17, _as_otlp_json, "json")


def test_bad_request_is_refused_and_stores_nothing(stores, book, tmp_path):
    pooled = _pipeline(stores[0], book, tmp_path, workers=1)
    try:
        with pytest.raises(InvalidSpans, match="invalid protobuf"):
            pooled.consume_bytes(b"\x0a\xff\xff\xff\xff\x0f garbage", project="p")
        assert pooled.sync(30)
        assert _rows(stores[0]) == ""
        assert pooled.limiter.inflight == 0
    finally:
        pooled.close()


def test_killed_worker_loses_nothing_and_is_replaced(stores, book, tmp_path):
    templates = build_templates(11, 4, 40)
    bodies = [fresh_request(t) for t in templates]
    pooled = _pipeline(stores[0], book, tmp_path, workers=1)
    pool = pooled.convert_pool
    try:
        sent = pooled.consume_bytes(bodies[0], project="p")
        for child in multiprocessing.active_children():
            os.kill(child.pid, signal.SIGKILL)
        for body in bodies[1:]:  # decoded in-process while the worker is replaced
            sent += pooled.consume_bytes(body, project="p")
        extra = build_templates(13, 1, 5)[0]
        deadline = time.monotonic() + 120
        while not (pool.stats["restarts"] and pool.ready.is_set()):
            assert time.monotonic() < deadline, "the worker was not replaced"
            sent += pooled.consume_bytes(fresh_request(extra), project="p")
            time.sleep(0.2)
        before = pool.stats["converted"]
        pooled.consume_bytes(bodies[0], project="p")  # a duplicate: stored once
        assert pool.stats["converted"] == before + 1  # through the new worker
        assert pooled.sync(30)
        assert stores[0].query("SELECT count() FROM otel_traces")[0][0] == sent
    finally:
        pooled.close()


def _workers_of(pid: int) -> list[int]:
    """The conversion workers among ``pid``'s descendants."""
    from tests.bench.ingest_targets import process_tree

    found = []
    for child in process_tree(pid)[1:]:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if b"spawn_main" in f.read():
                    found.append(child)
        except OSError:
            continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_workers_exit_when_the_collector_is_killed(tmp_path):
    import urllib.request

    from tests.support.collector import CollectorProcess

    body = fresh_request(build_templates(5, 1, 20)[0])
    collector = CollectorProcess(tmp_path / "store", "--convert-workers", "1").start()
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 120
        while not workers:  # the first request starts them
            assert time.monotonic() < deadline, "no conversion worker started"
            req = urllib.request.Request(
                f"{collector.http_url}/v1/traces", data=body,
                headers={"content-type": "application/x-protobuf"},
            )  # fmt: skip
            urllib.request.urlopen(req, timeout=30).read()
            time.sleep(0.3)
            workers = _workers_of(collector.proc.pid)
    finally:
        collector.kill()  # SIGKILL: the workers get no signal
    gone = wait_for(lambda: not any(_alive(w) for w in workers), timeout=20)
    assert gone, f"workers {workers} outlived the collector"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_default_workers_follow_the_cpu_quota(tmp_path):
    from spanwise_collector.pipeline import convert_pool

    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")  # 1.5 CPUs
    assert convert_pool._cgroup_cpus(str(quota)) == 1.5
    quota.write_text("max 100000\n")
    assert convert_pool._cgroup_cpus(str(quota)) is None
    assert convert_pool._cgroup_cpus(str(tmp_path / "absent")) is None
    assert 0 <= convert_pool.default_workers() <= 4


def test_a_processors_extra_changes_come_back_from_the_workers_too(stores, book, tmp_path):
    """Pricing zeroes the token columns of a call with absurd counts (beyond the columns
    it always fills): a worker-decoded request stores them zeroed too."""
    from tests.pricing_collector.spans import llm, request, span

    tid = os.urandom(16)
    body = request([span(tid, "broken", llm("gpt-4o-mini", "openai", 50_000_000_000, 7))])
    pipelines = [_pipeline(stores[0], book, tmp_path, 0), _pipeline(stores[1], book, tmp_path, 1)]
    try:
        for pipeline in pipelines:
            pipeline.consume_bytes(body.SerializeToString(), project="p1")
            assert pipeline.sync(30)
        assert pipelines[1].convert_pool.stats["converted"] == 1
        for store in stores:
            rows = store.query("SELECT InputTokens, OutputTokens, CostStatus FROM otel_traces")
            assert rows == [(0, 0, "invalid_usage")]
    finally:
        for pipeline in pipelines:
            pipeline.close()
