"""How each system is set up in a workload process: a decorator and a flush.

Endpoints come from the environment the harness sets:
BENCH_GRPC_ENDPOINT (OTLP/gRPC, ``http://127.0.0.1:P``), BENCH_HTTP_ENDPOINT (OTLP/HTTP
base URL), BENCH_MLFLOW_URI (an MLflow tracking server; unset -> MLflow exports OTLP)
with BENCH_MLFLOW_EXPERIMENT_ID (else an experiment named "bench"), BENCH_PROJECT (the
Spanwise project; raw OTel names its project with OTEL_EXPORTER_OTLP_TRACES_HEADERS).
Every system batches in the background (Phoenix: ``batch=True``).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
from collections.abc import Callable
from typing import Any

__all__ = ["DECORATORS", "Setup", "grpc_endpoint", "phoenix_provider"]

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]
Setup = tuple[Decorator, Callable[[], None]]


def grpc_endpoint() -> str:
    return os.environ["BENCH_GRPC_ENDPOINT"]


def phoenix_provider() -> Any:
    """phoenix.otel's tracer provider as both workloads use it: gRPC, batching, not global."""
    from phoenix.otel import register

    return register(
        endpoint=grpc_endpoint(),
        protocol="grpc",
        batch=True,
        project_name="bench",
        set_global_tracer_provider=False,
        verbose=False,
    )


def _none() -> Setup:
    return (lambda f: f), (lambda: None)


def _otel_provider(exporter: Any) -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _otel_capture_decorator(tracer: Any) -> Decorator:
    """What a user writes with the raw OTel SDK to get the same capture as @spanwise.trace."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn)
        name = fn.__qualname__

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with tracer.start_as_current_span(name) as span:
                bound = sig.bind(*args, **kwargs).arguments
                span.set_attribute("input.value", json.dumps(bound, default=repr))
                result = fn(*args, **kwargs)
                span.set_attribute("output.value", json.dumps(result, default=repr))
                return result

        return wrapper

    return deco


def _otel_memory() -> Setup:
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = _otel_provider(Discard())
    return _otel_capture_decorator(provider.get_tracer("bench")), lambda: provider.force_flush()


def _otel_grpc() -> Setup:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    provider = _otel_provider(OTLPSpanExporter(endpoint=grpc_endpoint(), insecure=True))
    return _otel_capture_decorator(provider.get_tracer("bench")), lambda: provider.force_flush()


def _spanwise() -> Setup:
    import spanwise

    spanwise.configure(endpoint=grpc_endpoint(), project=os.environ.get("BENCH_PROJECT", "bench"))
    return spanwise.trace, lambda: spanwise.flush(30)


def _mlflow() -> Setup:
    import mlflow

    if os.environ.get("BENCH_MLFLOW_URI"):
        # Traces go to the server over its REST API (async logging, MLflow's default).
        mlflow.set_tracking_uri(os.environ["BENCH_MLFLOW_URI"])
        if os.environ.get("BENCH_MLFLOW_EXPERIMENT_ID"):
            mlflow.set_experiment(experiment_id=os.environ["BENCH_MLFLOW_EXPERIMENT_ID"])
        else:
            mlflow.set_experiment("bench")
    # else: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set by the harness -> MLflow's OTLP exporter

    def flush() -> None:
        from mlflow.tracing.provider import provider

        mlflow.flush_trace_async_logging()
        tp = provider.get()
        if tp is not None:
            tp.force_flush()

    return mlflow.trace, flush


def _langfuse() -> Setup:
    from langfuse import get_client, observe

    client = get_client()
    return observe, client.flush


def _phoenix() -> Setup:
    provider = phoenix_provider()
    tracer = provider.get_tracer("bench")
    return tracer.chain, lambda: provider.force_flush()


DECORATORS: dict[str, Callable[[], Setup]] = {
    "none": _none,
    "otel-memory": _otel_memory,
    "otel-grpc": _otel_grpc,
    "spanwise": _spanwise,
    "mlflow": _mlflow,
    "langfuse": _langfuse,
    "phoenix": _phoenix,
}
