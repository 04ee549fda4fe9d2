"""``GET /metrics``: the collector's own health in Prometheus' text format — what it
accepted, refused (and why), stored, spooled while the store was down, and what is in
flight now. Read from the pipeline at scrape time; nothing is counted twice.

Open like ``/healthz`` (no API key): operational counts only, no user data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily

from ..pipeline.pipeline import REFUSAL_REASONS, Pipeline

router = APIRouter(tags=["health"])

_P = "spanwise_collector"
_COUNTERS = (  # pipeline.stats key, metric name, help
    ("accepted_requests", "requests_accepted", "OTLP requests acknowledged (durable in the spool)"),
    ("accepted_spans", "spans_accepted", "Spans acknowledged (durable in the spool)"),
    ("stored", "spans_stored", "Spans inserted into the store"),
    ("duplicates", "spans_duplicate", "Re-delivered spans the store already held (not inserted)"),
    ("inserts", "inserts", "Inserts into the store (group commits)"),
    ("spooled", "spans_spooled", "Spans kept in the spool because an insert failed"),
    ("replayed", "spans_replayed", "Spans inserted later from the spool"),
    ("rejected", "spans_rejected", "Spans the store refused for good (set aside in the spool)"),
)


class _PipelineCollector:
    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline

    def collect(self) -> Iterator[Any]:
        from .. import __version__

        pipeline = self.pipeline
        info = InfoMetricFamily(f"{_P}_build", "Collector version")
        info.add_metric([], {"version": __version__})
        yield info
        stats = dict(pipeline.stats)
        for key, name, text in _COUNTERS:
            yield CounterMetricFamily(f"{_P}_{name}", text, value=stats.get(key, 0))
        refused = CounterMetricFamily(
            f"{_P}_requests_refused", "OTLP requests refused, by reason", labels=["reason"]
        )
        for reason in REFUSAL_REASONS:
            refused.add_metric([reason], pipeline.refused.get(reason, 0))
        yield refused
        gauges = (
            ("inflight_bytes", "Request bytes acknowledged or being converted, not stored yet",
             pipeline.limiter.inflight),
            ("unwritten_batches", "Acknowledged batches not yet written", pipeline.unwritten),
            ("spool_bytes", "Bytes in the spool (durable, not stored yet)", pipeline.spool.bytes),
            ("spool_batches", "Batches in the spool waiting to be replayed", len(pipeline.spool)),
            ("store_up", "1 while inserts succeed, 0 after a failed one until the next succeeds",
             int(pipeline.store_writer.store_up)),
        )  # fmt: skip
        for name, text, value in gauges:
            yield GaugeMetricFamily(f"{_P}_{name}", text, value=value)
        pool = pipeline.convert_pool
        if pool is not None:
            for key, text in (("converted", "Requests decoded in a worker process"),
                              ("fallbacks", "Requests decoded in the collector's own process"),
                              ("restarts", "Worker processes restarted")):  # fmt: skip
                yield CounterMetricFamily(f"{_P}_convert_{key}", text, value=pool.stats[key])


def registry_for(pipeline: Pipeline) -> CollectorRegistry:
    """The app's registry (``create_app``): one collector reading ``pipeline``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_PipelineCollector(pipeline))
    return registry


@router.get("/metrics", summary="The collector's own metrics (Prometheus text format)")
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST
    )
