"""Distributed tracing: a caller's trace continued by a service it calls over real HTTP
(W3C ``traceparent``), with MLflow's two functions."""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import spanwise
from spanwise import SpanType


@spanwise.trace(name="answer", span_type=SpanType.AGENT)
def _handler(question: str) -> str:
    with spanwise.start_span("retrieve", span_type=SpanType.RETRIEVER):
        return question.upper()


class _Service(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        # self.headers: an email.message.Message, header names as the client wrote them
        with spanwise.set_tracing_context_from_http_request_headers(self.headers):
            reply = _handler(body["question"]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _call(url: str, headers: dict[str, str]) -> str:
    request = urllib.request.Request(
        url, data=json.dumps({"question": "why"}).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()


def test_the_called_service_joins_the_callers_trace_under_the_calling_span(
    sdk, fetch_trace, service
):
    with (
        spanwise.start_span("client", span_type=SpanType.CHAIN) as client_span,
        spanwise.start_span("call service", span_type=SpanType.TOOL) as calling,
    ):
        headers = spanwise.get_tracing_context_headers_for_http_request()
        assert _call(service, headers) == "WHY"
    assert set(headers) == {"traceparent"}
    assert (client_span.parent_id, calling.parent_id) == (None, client_span.span_id)

    trace = fetch_trace(client_span.trace_id)
    spans = {s.name: s for s in trace.data.spans}
    assert set(spans) == {"client", "call service", "answer", "retrieve"}
    assert spans["answer"].parent_id == calling.span_id
    assert spans["retrieve"].parent_id == spans["answer"].span_id
    assert (trace.info.name, trace.info.span_count) == ("client", 4)


def test_a_caller_outside_spanwise_names_the_trace_after_the_services_first_span(
    sdk, client, service
):
    """The caller's span is never sent here: the service's span has a remote parent."""
    trace_id, parent = os.urandom(16).hex(), os.urandom(8).hex()
    # Any case: HTTP header names are case-insensitive.
    assert _call(service, {"TraceParent": f"00-{trace_id}-{parent}-01"}) == "WHY"
    assert sdk.flush(30)
    trace = client.get_trace(trace_id)
    spans = {s.name: s for s in trace.data.spans}
    assert spans["answer"].parent_id == parent
    listed = client.search_traces("trace.name = 'answer' AND trace.session_id IS NULL",
                                  project="tests", max_results=1000)  # fmt: skip
    assert trace_id in [t.info.trace_id for t in listed]


def test_outside_a_span_there_is_nothing_to_send_and_bad_headers_start_a_new_trace(sdk):
    assert spanwise.get_tracing_context_headers_for_http_request() == {}
    invalid = f"00-{'0' * 32}-{'1' * 16}-01"  # an all-zero trace id is no trace
    for headers in ({}, {"traceparent": "garbage"}, {"traceparent": invalid}):
        with (
            spanwise.set_tracing_context_from_http_request_headers(headers),
            spanwise.start_span("own") as span,
        ):
            assert span.parent_id is None


def test_headers_that_are_no_mapping_are_refused(sdk):
    with pytest.raises(TypeError, match="headers must be a mapping"):  # noqa: SIM117
        with spanwise.set_tracing_context_from_http_request_headers(None):
            pass


def test_before_its_first_span_a_service_has_no_active_span_and_is_told_so(
    sdk, fetch_trace, caplog, monkeypatch
):
    """The caller's span (from the headers) is another process's: a handle on it, or
    update_current_trace on it, recorded nothing, silently."""
    from spanwise._internal import spans

    monkeypatch.setattr(spans, "_WARNED_NO_TRACE", [], raising=False)
    with spanwise.start_span("client") as client_span:
        headers = spanwise.get_tracing_context_headers_for_http_request()
    with spanwise.set_tracing_context_from_http_request_headers(headers):
        assert spanwise.get_current_trace_id() == client_span.trace_id  # spans will join it
        assert spanwise.get_current_active_span() is None
        spanwise.update_current_trace(user_id="u-1")  # too early: no span of ours yet
        with spanwise.start_span("handler"):
            assert spanwise.get_current_active_span().parent_id == client_span.span_id
            spanwise.update_current_trace(session_id="s-1")
    assert "update_current_trace() outside a trace does nothing" in caplog.text
    info = fetch_trace(client_span.trace_id).info
    assert (info.session_id, info.user_id) == ("s-1", None)


def test_headers_as_bytes_join_the_callers_trace(sdk, fetch_trace):
    """An ASGI app's raw headers: ``dict(scope["headers"])`` has bytes names and values."""
    with spanwise.start_span("client") as client_span:
        headers = spanwise.get_tracing_context_headers_for_http_request()
    raw = {k.encode(): v.encode() for k, v in headers.items()}
    with (
        spanwise.set_tracing_context_from_http_request_headers(raw),
        spanwise.start_span("handler") as handler,
    ):
        pass
    assert handler.trace_id == client_span.trace_id
    spans = {s.name: s for s in fetch_trace(client_span.trace_id).data.spans}
    assert spans["handler"].parent_id == client_span.span_id


def test_a_service_knows_the_last_trace_it_took_part_in(sdk, fetch_trace):
    """Its spans have a remote parent, so none was a root: get_last_active_trace_id()
    stayed None (or named an older trace), e.g. for logging feedback after a request."""
    trace_id, parent = os.urandom(16).hex(), os.urandom(8).hex()

    @spanwise.trace
    def handle() -> str:
        with spanwise.start_span("inner"):
            return "ok"

    with spanwise.set_tracing_context_from_http_request_headers(
        {"traceparent": f"00-{trace_id}-{parent}-01"}
    ):
        handle()
    assert spanwise.get_last_active_trace_id() == trace_id
    assert len(fetch_trace(trace_id).data.spans) == 2
