"""If the app already registered an OTel TracerProvider, Spanwise joins it: spans of
other OTel instrumentation land in the same traces (run in a fresh interpreter,
since the global provider can be set only once per process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.support.collector import source_env

APP = textwrap.dedent(
    """
    import sys
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    import spanwise

    provider = TracerProvider()
    trace.set_tracer_provider(provider)  # the app's own provider, set first
    app_tracer = trace.get_tracer("app.http")

    @spanwise.trace(span_type="AGENT")
    def handler():
        with app_tracer.start_as_current_span("GET /weather"):
            pass
        return spanwise.get_current_trace_id()

    spanwise.configure(endpoint=sys.argv[1], project="joined")
    print(handler())
    assert spanwise.flush(30)
    """
)


def test_spanwise_joins_an_existing_provider(collector, client):
    out = subprocess.run(
        [sys.executable, "-c", APP, collector.grpc_endpoint],
        capture_output=True, text=True, env=source_env(), timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    trace = client.get_trace(out.stdout.strip())
    spans = {s.name: s for s in trace.data.spans}
    assert set(spans) == {"handler", "GET /weather"}
    assert spans["GET /weather"].parent_id == spans["handler"].span_id
    assert trace.info.project == "joined"
