"""A service that continues a trace begun elsewhere (its first span's parent is remote)
lists with that span's name and status, like any trace."""

from __future__ import annotations

import os

from opentelemetry import trace as trace_api
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanContext, Status, StatusCode, TraceFlags, format_trace_id


def _tracer(collector, project: str):
    resource = Resource.create({"service.name": "downstream", "spanwise.project": project})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=collector.grpc_target, insecure=True))
    )
    return provider, provider.get_tracer("svc")


def _incoming(trace_id: int):
    """The context a server extracts from a caller's ``traceparent`` header."""
    parent = SpanContext(
        trace_id, int.from_bytes(os.urandom(8), "big"), is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )  # fmt: skip
    return trace_api.set_span_in_context(trace_api.NonRecordingSpan(parent))


def _listed(client, project: str) -> dict[str, object]:
    return {t.info.trace_id: t.info for t in client.search_traces(project=project, max_results=100)}


def test_a_trace_continued_from_a_remote_caller_has_its_entry_spans_name_and_status(
    collector, client
):
    project = f"remote-{os.urandom(4).hex()}"
    provider, tracer = _tracer(collector, project)
    trace_id = int.from_bytes(os.urandom(16), "big")
    with tracer.start_as_current_span("POST /answer", context=_incoming(trace_id)) as entry:
        with tracer.start_as_current_span("retrieve"):
            pass
        entry.set_status(Status(StatusCode.ERROR, "upstream timeout"))
    # A second trace: two requests of one remote caller handled here; the earliest names it.
    other = int.from_bytes(os.urandom(16), "big")
    with tracer.start_as_current_span("a first call", context=_incoming(other)):
        pass
    with tracer.start_as_current_span("z second call", context=_incoming(other)):
        pass
    provider.shutdown()

    listed = _listed(client, project)
    first = listed[format_trace_id(trace_id)]
    assert (first.name, first.status) == ("POST /answer", "ERROR")
    assert listed[format_trace_id(other)].name == "a first call"  # not the greatest name
    # The filter language sees the same name and status.
    found = client.search_traces(
        "trace.name = 'POST /answer' AND trace.status = 'ERROR'", project=project
    )
    assert [t.info.trace_id for t in found] == [format_trace_id(trace_id)]
    # And one trace by id agrees with the list.
    got = client.get_trace(format_trace_id(trace_id))
    assert (got.info.name, got.info.status) == ("POST /answer", "ERROR")


def test_the_span_without_a_parent_still_names_a_trace_that_also_has_a_remote_entry(
    collector, client
):
    """Both halves of a distributed trace sent here: the true root wins, wherever it is."""
    project = f"remote-{os.urandom(4).hex()}"
    provider, tracer = _tracer(collector, project)
    with tracer.start_as_current_span("frontend") as root:
        carrier = root.get_span_context()
    # The downstream service's half, sent first and in its own request.
    remote = trace_api.set_span_in_context(
        trace_api.NonRecordingSpan(
            SpanContext(carrier.trace_id, carrier.span_id, True, carrier.trace_flags)
        )
    )
    with tracer.start_as_current_span("backend", context=remote) as backend:
        backend.set_status(Status(StatusCode.ERROR, "failed"))
    provider.shutdown()

    listed = _listed(client, project)[format_trace_id(carrier.trace_id)]
    assert (listed.name, listed.status) == ("frontend", "OK")


def test_the_cli_tree_says_the_entry_spans_parent_is_elsewhere(collector, client):
    from tests.cli.test_cli import run_cli

    project = f"remote-{os.urandom(4).hex()}"
    provider, tracer = _tracer(collector, project)
    trace_id = int.from_bytes(os.urandom(16), "big")
    incoming = _incoming(trace_id)
    parent = trace_api.get_current_span(incoming).get_span_context().span_id
    with (
        tracer.start_as_current_span("POST /answer", context=incoming),
        tracer.start_as_current_span("retrieve"),
    ):
        pass
    provider.shutdown()
    out = run_cli("traces", "get", format_trace_id(trace_id), "--url", collector.http_url)
    assert out.returncode == 0, out.stderr
    marked = [line for line in out.stdout.splitlines() if "not here" in line]
    assert len(marked) == 1 and "POST /answer" in marked[0]  # not its child, "retrieve"
    assert f"(parent {format(parent, '016x')[:8]}… not here)" in marked[0]
