"""Benchmark 2 workload: `client.chat.completions.create` against the fake OpenAI server.

BENCH_SYSTEM (none | spanwise | mlflow | openinference | otel-v2 | langfuse),
BENCH_STREAM (0/1; the server streams its configured number of chunks), BENCH_N,
BENCH_OPENAI_BASE_URL, plus the endpoints of _systems.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

MESSAGES = [
    {"role": "system", "content": "You are a concise assistant. " * 4},
    {
        "role": "user",
        "content": "Summarise the causes of the French revolution in two sentences. " * 3,
    },
]


def _grpc() -> str:
    return os.environ["BENCH_GRPC_ENDPOINT"]


def setup(system: str) -> tuple[Any, Any]:
    """Returns (openai module to build the client from, flush)."""
    if system == "none":
        import openai

        return openai, lambda: None
    if system == "spanwise":
        import spanwise

        if not hasattr(spanwise, "openai"):
            try:
                import spanwise.openai
            except ImportError:
                print(json.dumps({"skip": "spanwise.openai.autolog() not available yet"}))
                sys.exit(0)
        import openai

        spanwise.configure(endpoint=_grpc(), project="bench")
        spanwise.openai.autolog()
        return openai, lambda: spanwise.flush(30)
    if system == "mlflow":
        import mlflow
        import openai

        mlflow.openai.autolog()

        def flush() -> None:
            from mlflow.tracing.provider import provider

            mlflow.flush_trace_async_logging()
            if provider.get() is not None:
                provider.get().force_flush()

        return openai, flush
    if system == "openinference":
        import openai
        from openinference.instrumentation.openai import OpenAIInstrumentor
        from phoenix.otel import register

        tp = register(
            endpoint=_grpc(),
            protocol="grpc",
            batch=True,
            project_name="bench",
            set_global_tracer_provider=False,
            verbose=False,
        )
        OpenAIInstrumentor().instrument(tracer_provider=tp)
        return openai, lambda: tp.force_flush()
    if system == "otel-v2":
        # capture content like the others do (off by default in this instrumentation).
        # opentelemetry-util-genai's content modes: "true" is rejected there (it logs a
        # warning and captures nothing); older releases without it took "true".
        try:
            import opentelemetry.util.genai  # noqa: F401

            capture = "SPAN_ONLY"
        except ImportError:
            capture = "true"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = capture
        import openai
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        tp = TracerProvider()
        tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=_grpc(), insecure=True)))
        OpenAIInstrumentor().instrument(tracer_provider=tp)
        return openai, lambda: tp.force_flush()
    if system == "langfuse":
        from langfuse import get_client
        from langfuse.openai import openai

        return openai, get_client().flush
    raise SystemExit(f"unknown system {system}")


def main() -> None:
    system = os.environ["BENCH_SYSTEM"]
    stream = os.environ.get("BENCH_STREAM") == "1"
    n = int(os.environ.get("BENCH_N", "300"))
    openai, flush = setup(system)
    client = openai.OpenAI(
        base_url=os.environ["BENCH_OPENAI_BASE_URL"], api_key="sk-bench", max_retries=0
    )

    def call() -> None:
        if stream:
            chunks = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                temperature=0.2,
                stream=True,
                stream_options={"include_usage": True},
            )
            for _ in chunks:
                pass
        else:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2)

    warmup = max(5, n // 10)
    for _ in range(warmup):
        call()
    flush()
    cpu_start = time.process_time_ns()  # every thread of this process
    start = time.perf_counter_ns()
    for _ in range(n):
        call()
    elapsed = time.perf_counter_ns() - start
    flush()
    cpu = time.process_time_ns() - cpu_start  # the loop + exporting its spans
    expected = 0 if system == "none" else warmup + n
    print(
        json.dumps(
            {
                "us_per_call": elapsed / n / 1000,
                "cpu_us_per_call": cpu / n / 1000,
                "calls": n,
                "expected_spans": expected,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
