"""@spanwise.trace and start_span, through the real collector and query API."""

from __future__ import annotations

import asyncio
import contextvars
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import spanwise
from spanwise import SpanType


def by_name(trace):
    return {s.name: s for s in trace.data.spans}


def test_nested_sync_calls_form_a_tree(sdk, fetch_trace):
    seen = {}

    @spanwise.trace(span_type=SpanType.TOOL)
    def add(a: int, b: int = 10) -> int:
        return a + b

    @spanwise.trace(name="agent", span_type=SpanType.AGENT, attributes={"team": "search"})
    def agent(question: str) -> dict:
        seen["trace_id"] = spanwise.get_current_trace_id()
        return {"answer": add(1), "q": question}

    assert agent("why?") == {"answer": 11, "q": "why?"}
    trace = fetch_trace(seen["trace_id"])
    spans = by_name(trace)
    assert set(spans) == {"agent", "test_nested_sync_calls_form_a_tree.<locals>.add"}
    root, child = spans["agent"], spans["test_nested_sync_calls_form_a_tree.<locals>.add"]
    assert root.parent_id is None and child.parent_id == root.span_id
    assert root.span_type == "AGENT" and child.span_type == "TOOL"
    assert root.inputs == {"question": "why?"}
    assert root.outputs == {"answer": 11, "q": "why?"}
    assert child.inputs == {"a": 1, "b": 10}  # defaults are part of the inputs
    assert child.outputs == 11
    assert root.attributes["team"] == "search"
    assert trace.info.name == "agent" and trace.info.status == "OK"
    assert trace.info.trace_id == seen["trace_id"] and len(seen["trace_id"]) == 32
    assert root.start_time_ns <= child.start_time_ns <= child.end_time_ns <= root.end_time_ns
    assert trace.info.span_count == 2


def test_exception_sets_error_records_event_and_propagates(sdk, fetch_trace):
    seen = {}

    class Boom(ValueError):
        pass

    @spanwise.trace
    def failing():
        seen["trace_id"] = spanwise.get_current_trace_id()
        raise Boom("bad input")

    with pytest.raises(Boom, match="bad input"):
        failing()
    trace = fetch_trace(seen["trace_id"])
    (span,) = trace.data.spans
    assert span.status == "ERROR"
    assert "Boom: bad input" in span.status_message
    (event,) = span.events
    assert event.name == "exception"
    assert event.attributes["exception.message"] == "bad input"
    assert event.attributes["exception.type"].endswith("Boom")
    assert trace.info.status == "ERROR"


def test_async_functions_and_gather_keep_parents(sdk, fetch_trace):
    seen = {}

    @spanwise.trace(span_type=SpanType.TOOL)
    async def fetch(i: int) -> int:
        await asyncio.sleep(0.001 * (3 - i))
        return i * i

    @spanwise.trace
    async def main() -> list[int]:
        seen["trace_id"] = spanwise.get_current_trace_id()
        return list(await asyncio.gather(*(fetch(i) for i in range(3))))

    assert asyncio.run(main()) == [0, 1, 4]
    trace = fetch_trace(seen["trace_id"])
    root = trace.data.root
    children = trace.data.children(root.span_id)
    assert sorted(c.outputs for c in children) == [0, 1, 4]
    assert sorted(c.inputs["i"] for c in children) == [0, 1, 2]


def test_generator_span_collects_items_and_is_current_only_while_running(sdk, fetch_trace):
    seen = {}

    @spanwise.trace(span_type=SpanType.RETRIEVER)
    def docs(n: int):
        seen["inner"] = spanwise.get_current_trace_id()
        for i in range(n):
            yield f"doc{i}"

    @spanwise.trace
    def consumer():
        seen["trace_id"] = spanwise.get_current_trace_id()
        out = []
        for item in docs(3):
            # Between items the consumer's span is current again.
            out.append(item)
        return out

    assert consumer() == ["doc0", "doc1", "doc2"]
    trace = fetch_trace(seen["trace_id"])
    gen_span = next(s for s in trace.data.spans if s.span_type == "RETRIEVER")
    assert gen_span.outputs == ["doc0", "doc1", "doc2"]
    assert gen_span.inputs == {"n": 3}
    assert gen_span.parent_id == trace.data.root.span_id
    assert seen["inner"] == seen["trace_id"]


def test_generator_closed_early_ends_span_with_partial_output(sdk, fetch_trace):
    seen = {}

    @spanwise.trace
    def numbers():
        seen["trace_id"] = spanwise.get_current_trace_id()
        yield from range(100)

    gen = numbers()
    assert next(gen) == 0 and next(gen) == 1
    gen.close()
    trace = fetch_trace(seen["trace_id"])
    (span,) = trace.data.spans
    assert span.outputs == [0, 1] and span.status == "OK"


def test_async_generator(sdk, fetch_trace):
    seen = {}

    @spanwise.trace(output_reducer="".join)
    async def tokens():
        seen["trace_id"] = spanwise.get_current_trace_id()
        for t in ["Hel", "lo"]:
            await asyncio.sleep(0)
            yield t

    async def consume():
        return [t async for t in tokens()]

    assert asyncio.run(consume()) == ["Hel", "lo"]
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    assert span.outputs == "Hello"


def test_generator_error_mid_stream(sdk, fetch_trace):
    seen = {}

    @spanwise.trace
    def broken():
        seen["trace_id"] = spanwise.get_current_trace_id()
        yield 1
        raise KeyError("gone")

    with pytest.raises(KeyError):
        list(broken())
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    assert span.status == "ERROR" and span.events[0].name == "exception"


def test_methods_leave_out_self_and_cls(sdk, fetch_trace):
    seen = {}

    class Agent:
        @spanwise.trace
        def run(self, x: int) -> int:
            seen["trace_id"] = spanwise.get_current_trace_id()
            return self.helper(x) + Agent.make(x)

        @spanwise.trace
        @classmethod
        def make(cls, x: int) -> int:
            return x

        @spanwise.trace
        @staticmethod
        def helper(x: int) -> int:
            return x * 2

    assert Agent().run(5) == 15
    spans = fetch_trace(seen["trace_id"]).data.spans
    inputs = {s.name.rsplit(".", 1)[-1]: s.inputs for s in spans}
    assert inputs == {"run": {"x": 5}, "make": {"x": 5}, "helper": {"x": 5}}


def test_nesting_across_threads_when_context_is_passed(sdk, fetch_trace):
    seen = {}

    @spanwise.trace(span_type=SpanType.TOOL)
    def work(i: int) -> int:
        return i + 1

    @spanwise.trace
    def fan_out() -> list[int]:
        seen["trace_id"] = spanwise.get_current_trace_id()
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(contextvars.copy_context().run, work, i) for i in range(4)]
            return [f.result() for f in futures]

    assert fan_out() == [1, 2, 3, 4]
    trace = fetch_trace(seen["trace_id"])
    root = trace.data.root
    assert len(trace.data.children(root.span_id)) == 4


def test_start_span_and_update_current_trace(sdk, fetch_trace):
    with spanwise.start_span("request", span_type=SpanType.CHAIN, attributes={"n": 3}) as span:
        span.set_inputs({"q": "hi"})
        spanwise.update_current_trace(
            tags={"env": "test"}, session_id="s-1", user_id="u-1", metadata={"version": {"v": 2}}
        )
        with spanwise.start_span("child") as child:
            child.set_attributes({"flag": True, "ratio": 0.5, "obj": {"a": 1}})
            child.set_outputs([1, 2])
        span.set_outputs("done")
        trace_id = span.trace_id
    trace = fetch_trace(trace_id)
    info = trace.info
    assert info.tags == {"env": "test"}
    assert info.session_id == "s-1" and info.user_id == "u-1"
    assert json.loads(info.metadata["version"]) == {"v": 2}
    spans = by_name(trace)
    assert spans["request"].inputs == {"q": "hi"} and spans["request"].outputs == "done"
    assert spans["child"].attributes["flag"] == "true"
    assert spans["child"].attributes["ratio"] == "0.5"
    assert json.loads(spans["child"].attributes["obj"]) == {"a": 1}
    assert spans["child"].outputs == [1, 2]
    # The trace list shows the same trace-level information.
    listed = {t.info.trace_id: t.info for t in spanwise.Client().search_traces(max_results=200)}
    assert listed[trace_id].tags == {"env": "test"}
    assert listed[trace_id].session_id == "s-1"


def test_start_span_records_exception(sdk, fetch_trace):
    with pytest.raises(ZeroDivisionError), spanwise.start_span("divide") as span:
        trace_id = span.trace_id
        _ = 1 / 0
    (s,) = fetch_trace(trace_id).data.spans
    assert s.status == "ERROR" and "ZeroDivisionError" in s.status_message


def test_unencodable_values_use_repr_and_large_values_are_truncated(sdk, fetch_trace):
    seen = {}

    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque thing>"

    @spanwise.trace
    def f(obj, text):
        seen["trace_id"] = spanwise.get_current_trace_id()
        return {1, 2}

    f(Opaque(), "x" * 100_000)
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    assert isinstance(span.inputs, str)  # truncated JSON is kept as text
    assert span.inputs.startswith('{"obj":"<Opaque thing>","text":"xxx')
    assert "[truncated" in span.inputs and len(span.inputs) < 40_000
    assert sorted(span.outputs) == [1, 2]


def test_numpy_values_are_recorded_as_numbers(sdk, fetch_trace):
    np = pytest.importorskip("numpy")
    seen = {}

    @spanwise.trace(span_type=SpanType.RETRIEVER)
    def search(query_vector):
        seen["trace_id"] = spanwise.get_current_trace_id()
        return [{"doc": "a", "score": np.float32(0.5), "rank": np.int64(1)}]

    search(np.array([[0.25, 1.5]]))
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    # not "array([[0.25, 1.5 ]])" and "np.float32(0.5)"
    assert span.inputs == {"query_vector": [[0.25, 1.5]]}
    assert span.outputs == [{"doc": "a", "score": 0.5, "rank": 1}]


def test_a_call_with_wrong_arguments_is_recorded_and_raises_the_functions_error(sdk, fetch_trace):
    """Binding the inputs failed first: Spanwise logged an internal error (raised one
    under the test suite) and the call had no span."""
    seen = {}

    @spanwise.trace
    def f(a, *rest, b=1):
        return a

    with spanwise.start_span("caller") as caller:
        seen["trace_id"] = caller.trace_id
        with pytest.raises(TypeError, match=r"f\(\) got an unexpected keyword argument 'c'"):
            f(1, c=3)
    spans = by_name(fetch_trace(seen["trace_id"]))
    span = spans[
        "test_a_call_with_wrong_arguments_is_recorded_and_raises_the_functions_error.<locals>.f"
    ]
    assert span.status == "ERROR" and span.inputs == {"args": [1], "c": 3}


def test_redaction_and_capture_switches(sdk, fetch_trace):
    seen = {}

    def redact(value):
        return json.loads(json.dumps(value).replace("secret-123", "***"))

    @spanwise.trace
    def login(password: str) -> str:
        seen["trace_id"] = spanwise.get_current_trace_id()
        return f"token for secret-123 ({password})"

    spanwise.configure(redact=redact)
    try:
        login("secret-123")
    finally:
        spanwise.configure(redact=lambda v: v)
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    assert span.inputs == {"password": "***"}
    assert span.outputs == "token for *** (***)"

    spanwise.configure(capture_inputs=False, capture_outputs=False)
    try:
        login("secret-123")
    finally:
        spanwise.configure(capture_inputs=True, capture_outputs=True)
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    assert span.inputs is None and span.outputs is None


def test_configure_rejects_bad_values(sdk):
    with pytest.raises(ValueError, match="sample_rate"):
        spanwise.configure(sample_rate=1.5)
    with pytest.raises(TypeError, match="redact"):
        spanwise.configure(redact="not callable")
    # accepted before, then every traced call logged a traceback
    for bad in ("localhost:abc", "http://collector:99999"):
        with pytest.raises(ValueError, match="endpoint must be a URL"):
            spanwise.configure(endpoint=bad)


def test_a_bad_endpoint_variable_warns_once_and_calls_run(collector):
    import subprocess
    import sys

    from tests.support.collector import source_env

    script = (
        "import spanwise\n"
        "@spanwise.trace\n"
        "def f(i):\n"
        "    return i\n"
        "print(sum(f(i) for i in range(3)))\n"
    )
    env = source_env({"SPANWISE_ENDPOINT": "http://collector:99999"})
    env.pop("SPANWISE_RAISE_INTERNAL_ERRORS", None)
    env["OTEL_BSP_EXPORT_TIMEOUT"] = "500"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0 and done.stdout.strip() == "3", done.stderr
    assert done.stderr.count("ignoring SPANWISE_ENDPOINT='http://collector:99999'") == 1
    assert "internal error" not in done.stderr, done.stderr  # was one traceback per call


def test_get_current_trace_id_outside_a_trace():
    assert spanwise.get_current_trace_id() is None


def test_sampling_is_decided_per_trace(sdk, client):
    ids = []

    @spanwise.trace
    def child():
        return 1

    @spanwise.trace
    def root():
        ids.append(spanwise.get_current_trace_id())
        return child()

    spanwise.configure(sample_rate=0.5)
    try:
        for _ in range(40):
            root()
    finally:
        spanwise.configure(sample_rate=1.0)
    assert spanwise.flush(30)
    found = [client.get_trace(t) for t in ids]
    kept = [t for t in found if t is not None]
    assert 5 < len(kept) < 35  # about half, decided by trace id
    assert all(t.info.span_count == 2 for t in kept)  # never half a trace


RAISED_RATE = """
import sys
import spanwise

spanwise.configure(endpoint=sys.argv[1], project="tests", sample_rate=0.1)
with spanwise.start_span("set-up at 10%"):
    pass
spanwise.configure(sample_rate=1.0)
for _ in range(20):
    with spanwise.start_span("at 100%") as span:
        print(span.trace_id)
assert spanwise.flush(30)
"""


def test_a_raised_sample_rate_applies_to_the_next_traces(collector, client):
    """The first span fixes the provider's sampler; configure(sample_rate=) later must
    still reach it (a higher rate kept only ~10% of the traces)."""
    import subprocess
    import sys

    from tests.support.collector import source_env

    done = subprocess.run(
        [sys.executable, "-c", RAISED_RATE, collector.grpc_endpoint],
        capture_output=True, text=True, timeout=60, env=source_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ids = done.stdout.split()
    assert len(ids) == 20
    assert [t for t in ids if client.get_trace(t) is None] == []


def _one_span_with_env(collector, variables: dict[str, str]):
    """A script making one span, run with ``variables`` set as an app would set them
    (internal errors logged, not raised); its stdout is the span's trace id."""
    import subprocess
    import sys

    from tests.support.collector import source_env

    script = (
        "import sys, spanwise\n"
        "spanwise.configure(endpoint=sys.argv[1], project='tests')\n"
        "with spanwise.start_span('env') as span:\n"
        "    print(span.trace_id)\n"
        "assert spanwise.flush(30)\n"
    )
    env = source_env(variables)
    env.pop("SPANWISE_RAISE_INTERNAL_ERRORS", None)
    done = subprocess.run(
        [sys.executable, "-c", script, collector.grpc_endpoint],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr, done.stderr
    return done


@pytest.mark.parametrize("raw", ["10", "-1", "half"])
def test_a_bad_sample_rate_variable_warns_and_traces_everything(collector, client, raw):
    """SPANWISE_SAMPLE_RATE=10 (meant as 10%) or -1 broke every span start (OTel's
    sampler refused the ratio: a logged traceback per span, nothing exported)."""
    done = _one_span_with_env(collector, {"SPANWISE_SAMPLE_RATE": raw})
    assert f"ignoring SPANWISE_SAMPLE_RATE={raw!r}" in done.stderr
    assert client.get_trace(done.stdout.strip()) is not None


@pytest.mark.parametrize(
    ("name", "raw", "warned"),
    [
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "none", False),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "deflate", False),
        ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip", False),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", True),
    ],
)
def test_otlp_compression_variable_never_turns_tracing_off(collector, client, name, raw, warned):
    """OTel's gRPC exporter raises on any compression but gzip, even the spec's "none":
    Spanwise set-up failed, with an 'internal error' traceback, and no span was made."""
    done = _one_span_with_env(collector, {name: raw})
    assert (f"ignoring {name}={raw!r}" in done.stderr) is warned, done.stderr
    assert client.get_trace(done.stdout.strip()) is not None


def test_tracing_resumes_after_configure_enabled_false_then_true(sdk, fetch_trace):
    @spanwise.trace
    def f():
        return spanwise.get_current_trace_id()

    f()  # set up
    spanwise.configure(enabled=False)
    try:
        assert f() is None
    finally:
        spanwise.configure(enabled=True)
    trace_id = f()
    assert trace_id is not None  # stayed a no-op for good
    assert fetch_trace(trace_id).info.name.endswith("f")


def test_events_added_to_a_span_arrive_in_order(sdk, fetch_trace):
    with sdk.start_span("retrieve", span_type="RETRIEVER") as span:
        span.add_event("cache miss", {"key": "q-42", "ttl_s": 30})
        span.add_event(sdk.SpanEvent("reranked", 1_700_000_000_123_456_789, {"docs": [3, 1, 2]}))
        span.add_event(object(), {"x": object()})  # anything else: as text, never a raise
        span.add_event(sdk.SpanEvent("scored", attributes={"n": 2}))  # MLflow's: no time
    [got] = fetch_trace(span.trace_id).data.spans
    scored = got.events[-1]
    assert scored.name == "scored" and dict(scored.attributes) == {"n": "2"}
    assert got.start_time_ns <= scored.timestamp_ns <= got.end_time_ns
    first, second = got.events[:2]
    # event attributes are stored as text, like the OTel ClickHouse exporter does
    assert (first.name, dict(first.attributes)) == ("cache miss", {"key": "q-42", "ttl_s": "30"})
    assert second.name == "reranked" and second.timestamp_ns == 1_700_000_000_123_456_789
    assert json.loads(second.attributes["docs"]) == [3, 1, 2]


def test_update_current_trace_outside_a_trace_warns_once(sdk, caplog, monkeypatch):
    from spanwise._internal import spans

    monkeypatch.setattr(spans, "_WARNED_NO_TRACE", [], raising=False)
    spanwise.update_current_trace(session_id="s-1")  # too early: no trace yet
    spanwise.update_current_trace(user_id="u-1")
    assert caplog.text.count("update_current_trace() outside a trace does nothing") == 1
