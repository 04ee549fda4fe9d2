"""Benchmark 2 workload: `client.chat.completions.create` against the fake OpenAI server.

BENCH_SYSTEM (none | spanwise | mlflow | openinference | otel-v2 | langfuse),
BENCH_STREAM (0/1; the server streams its configured number of chunks),
BENCH_MODE (paired: one process alternates blocks with the system off and on, see
_paired; separate: N calls with the system on, compared across processes),
BENCH_N and BENCH_WARMUP (separate) or BENCH_PAIRS/BENCH_BLOCK (paired), BENCH_OPENAI_BASE_URL, plus
the endpoints of _systems.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.bench.workloads._paired import measure_paired
from tests.bench.workloads._systems import grpc_endpoint, phoenix_provider

MESSAGES = [
    {"role": "system", "content": "You are a concise assistant. " * 4},
    {
        "role": "user",
        "content": "Summarise the causes of the French revolution in two sentences. " * 3,
    },
]


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class System:
    """A system set up and on; ``off``/``on`` remove and restore its instrumentation."""

    openai: Any  # the module to build the client from
    flush: Callable[[], Any]
    on: Callable[[], Any] = _nothing
    off: Callable[[], Any] = _nothing


def _spanwise() -> System:
    import spanwise

    if not hasattr(spanwise, "openai"):
        try:
            import spanwise.openai
        except ImportError:
            print(json.dumps({"skip": "spanwise.openai.autolog() not available yet"}))
            sys.exit(0)
    import openai

    spanwise.configure(endpoint=grpc_endpoint(), project="bench")
    spanwise.openai.autolog()
    return System(
        openai,
        lambda: spanwise.flush(30),
        on=spanwise.openai.autolog,
        off=lambda: spanwise.openai.autolog(disable=True),
    )


def _mlflow() -> System:
    import mlflow
    import openai

    mlflow.openai.autolog()

    def flush() -> None:
        from mlflow.tracing.provider import provider

        mlflow.flush_trace_async_logging()
        if provider.get() is not None:
            provider.get().force_flush()

    # disable=True reverts mlflow's patches
    return System(
        openai, flush, on=mlflow.openai.autolog, off=lambda: mlflow.openai.autolog(disable=True)
    )


def _instrumented(tp: Any, instrumentor: Any) -> System:
    """An OTel-style instrumentor (instrument/uninstrument) on its own tracer provider."""
    import openai

    instrumentor.instrument(tracer_provider=tp)
    return System(
        openai,
        tp.force_flush,
        on=lambda: instrumentor.instrument(tracer_provider=tp),
        off=instrumentor.uninstrument,
    )


def _openinference() -> System:
    from openinference.instrumentation.openai import OpenAIInstrumentor

    return _instrumented(phoenix_provider(), OpenAIInstrumentor())


def _otel_v2() -> System:
    # capture content like the others do (off by default in this instrumentation).
    # opentelemetry-util-genai's content modes: "true" is rejected there (it logs a
    # warning and captures nothing); older releases without it took "true".
    try:
        import opentelemetry.util.genai  # noqa: F401

        capture = "SPAN_ONLY"
    except ImportError:
        capture = "true"
    os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = capture
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tp = TracerProvider()
    tp.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=grpc_endpoint(), insecure=True))
    )
    return _instrumented(tp, OpenAIInstrumentor())


def _langfuse() -> System:
    """Importing ``langfuse.openai`` patches the ``openai`` package itself (wrapt wrappers
    on ``openai.resources`` methods, and ``Stream.__iter__``/``AsyncStream.__aiter__``
    replaced), so a plain ``openai.OpenAI`` client is traced too. It has no uninstrument:
    ``off`` puts the originals back, ``on`` the patched values."""
    import openai
    import wrapt

    streams = {(cls, name): cls.__dict__[name] for cls, name in _stream_hooks(openai)}
    from langfuse import get_client
    from langfuse.openai import openai as patched_openai

    swaps = {key: (original, key[0].__dict__[key[1]]) for key, original in streams.items()}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("openai.") or module is None:
            continue
        for cls in list(vars(module).values()):
            if not isinstance(cls, type) or not cls.__module__.startswith("openai"):
                continue
            for name, value in list(vars(cls).items()):
                if isinstance(value, wrapt.FunctionWrapper):
                    swaps[(cls, name)] = (value.__wrapped__, value)
    if not any(isinstance(v[1], wrapt.FunctionWrapper) for v in swaps.values()):
        raise SystemExit("langfuse.openai patched no openai method: this workload needs updating")

    def put(which: int) -> None:
        for (cls, name), values in swaps.items():
            setattr(cls, name, values[which])

    return System(patched_openai, get_client().flush, on=lambda: put(1), off=lambda: put(0))


def _stream_hooks(openai: Any) -> tuple[tuple[type, str], ...]:
    return ((openai.Stream, "__iter__"), (openai.AsyncStream, "__aiter__"))


def _none() -> System:
    import openai

    return System(openai, _nothing)


SYSTEMS: dict[str, Callable[[], System]] = {
    "none": _none,
    "spanwise": _spanwise,
    "mlflow": _mlflow,
    "openinference": _openinference,
    "otel-v2": _otel_v2,
    "langfuse": _langfuse,
}


def _separate(call: Callable[[], None], system: System, instrumented: bool) -> dict[str, Any]:
    n = int(os.environ.get("BENCH_N", "300"))
    warmup = int(os.environ.get("BENCH_WARMUP", max(5, n // 10)))
    for _ in range(warmup):
        call()
    system.flush()
    cpu_start = time.process_time_ns()  # every thread of this process
    start = time.perf_counter_ns()
    for _ in range(n):
        call()
    elapsed = time.perf_counter_ns() - start
    system.flush()
    cpu = time.process_time_ns() - cpu_start  # the loop + exporting its spans
    return {
        "us_per_call": elapsed / n / 1000,
        "cpu_us_per_call": cpu / n / 1000,
        "calls": n,
        "expected_spans": warmup + n if instrumented else 0,
    }


def main() -> None:
    name = os.environ["BENCH_SYSTEM"]
    if name not in SYSTEMS:
        raise SystemExit(f"unknown system {name}")
    stream = os.environ.get("BENCH_STREAM") == "1"
    system = SYSTEMS[name]()
    client = system.openai.OpenAI(
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

    if os.environ.get("BENCH_MODE", "paired") == "separate":
        result = _separate(call, system, instrumented=name != "none")
    else:
        pairs = int(os.environ.get("BENCH_PAIRS", "20"))
        block = int(os.environ.get("BENCH_BLOCK", "10"))
        result = measure_paired(
            call, system.on, system.off, system.flush, pairs, block, warmup=max(5, block)
        )
        result["expected_spans"] = result.pop("instrumented_calls") if name != "none" else 0
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
