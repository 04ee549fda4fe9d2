"""Bad input gets a clear error and changes nothing; absurd values are stored by a
clear rule; nothing makes the ingest loop or the query API fail with a 5xx."""

from __future__ import annotations

import io
import json
import os
import time
import urllib.error
import urllib.request

import grpc
import pytest
import spanwise
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from tests.reliability._otlp import attr, new_trace_id, stub, trace_request, wrap

GRPC_LIMIT = 32 * 1024 * 1024


def raw_export(target: str, payload: bytes):
    channel = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)])
    try:
        call = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        return call(payload, timeout=30)
    finally:
        channel.close()


def http(url: str, body: bytes | None = None, content_type: str = "application/x-protobuf"):
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                     headers={"content-type": content_type})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def test_malformed_protobuf_over_grpc_is_invalid_argument(collector):
    with pytest.raises(grpc.RpcError) as err:
        raw_export(collector.grpc_target, b"\x0a\xff\xff\xff\x0fgarbage")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "invalid protobuf" in err.value.details()


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"\x0a\xff\xff\xff\x0fgarbage", "application/x-protobuf", "invalid protobuf"),
        (b"{not json", "application/json", "invalid JSON"),
        (b'{"resourceSpans": 7}', "application/json", "resourceSpans"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
         "application/json", "not hexadecimal"),
    ],
)  # fmt: skip
def test_malformed_http_bodies_are_400_with_message(collector, body, content_type, message):
    status, text = http(f"{collector.http_url}/v1/traces", body, content_type)
    assert status == 400 and message in json.loads(text)["message"]


def test_one_bad_span_rejects_the_whole_request_and_stores_nothing(collector, client):
    good = new_trace_id()
    request = trace_request(good, 3)
    request.resource_spans[0].scope_spans[0].spans.append(
        trace_pb2.Span(trace_id=b"short", span_id=os.urandom(8), name="bad")
    )
    assert "trace_id must be 16" in _refused(collector, request)
    assert client.get_trace(good.hex()) is None


def _refused(collector, request) -> str:
    """The details of the INVALID_ARGUMENT the collector answers ``request`` with."""
    export, channel = stub(collector.grpc_target)
    try:
        with pytest.raises(grpc.RpcError) as err:
            export.Export(request, timeout=30)
    finally:
        channel.close()
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return err.value.details()


def test_a_link_with_a_bad_id_rejects_the_request(collector, client):
    """A link's ids of the wrong length were cut or kept as they came and stored."""
    good = new_trace_id()
    request = trace_request(good, 2)
    span = request.resource_spans[0].scope_spans[0].spans[1]
    span.links.append(trace_pb2.Span.Link(trace_id=b"abc", span_id=os.urandom(8)))
    assert "link's trace_id must be 16 bytes" in _refused(collector, request)
    assert client.get_trace(good.hex()) is None


def test_oversized_requests_are_refused_naming_the_limit(collector):
    payload = b"\x0a" + b"\xff" * 4 + b"\x7f" + b"x" * (GRPC_LIMIT + 10)
    with pytest.raises(grpc.RpcError) as err:
        raw_export(collector.grpc_target, payload)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert str(GRPC_LIMIT) in err.value.details()
    # HTTP: refused from the declared length, before the body is read into memory.
    import socket

    with socket.create_connection(("127.0.0.1", collector.http_port), timeout=30) as sock:
        sock.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf"
                     b"\r\nContent-Length: %d\r\n\r\n" % (GRPC_LIMIT + 10))  # fmt: skip
        reply = ""
        while "}" not in reply:
            chunk = sock.recv(65536).decode()
            if not chunk:
                break
            reply += chunk
    assert reply.startswith("HTTP/1.1 413") and str(GRPC_LIMIT) in reply


def test_invalid_utf8_is_replaced_not_rejected(collector, client):
    trace_id = new_trace_id()
    request = trace_request(trace_id, 1)
    span = request.resource_spans[0].scope_spans[0].spans[0]
    span.name = "NAME-MARK"
    span.attributes.append(attr("note", "VALUE-MARK"))
    payload = request.SerializeToString()
    payload = payload.replace(b"NAME-MARK", b"NAME\xff\xfeARK").replace(
        b"VALUE-MARK", b"VAL\xc3(-MARK"
    )
    raw_export(collector.grpc_target, payload)
    (stored,) = client.get_trace(trace_id.hex()).data.spans
    assert stored.name == "NAME\ufffd\ufffdARK"
    assert stored.attributes["note"].startswith("VAL\ufffd")


def test_absurd_values_follow_clear_rules(collector, client):
    trace_id = new_trace_id()
    huge = [attr(f"k{i}", i) for i in range(100_000)]
    odd_values = [
        common_pb2.KeyValue(key="bytes", value=common_pb2.AnyValue(bytes_value=b"\x00\x01")),
        common_pb2.KeyValue(key="empty", value=common_pb2.AnyValue()),
        common_pb2.KeyValue(key="kv", value=common_pb2.AnyValue(kvlist_value=common_pb2.KeyValueList(
            values=[attr("a", 1)]))),
    ]  # fmt: skip
    spans = [
        trace_pb2.Span(
            trace_id=trace_id, span_id=b"\x01" * 8, name="root",
            start_time_unix_nano=0, end_time_unix_nano=2**64 - 1,  # 1970 … year 2554
            attributes=[*odd_values, attr("gen_ai.request.model", "m"),
                        attr("gen_ai.usage.input_tokens", -5), attr("big", "x" * 200_000)],
        ),
        trace_pb2.Span(
            trace_id=trace_id, span_id=b"\x02" * 8, parent_span_id=b"\x01" * 8, name="many",
            start_time_unix_nano=time.time_ns(), end_time_unix_nano=time.time_ns() - 10**9,
            attributes=huge,
        ),
    ]  # fmt: skip
    export, channel = stub(collector.grpc_target)
    try:
        export.Export(wrap(spans), timeout=60)
    finally:
        channel.close()
    trace = client.get_trace(trace_id.hex())
    by_name = {s.name: s for s in trace.data.spans}
    root, many = by_name["root"], by_name["many"]
    now_ms = time.time() * 1000
    # Start 0 (1970) → receive time; an end absurdly far after start → duration 0.
    assert (
        abs(root.start_time_ns / 1e6 - now_ms) < 600_000 and root.end_time_ns == root.start_time_ns
    )
    assert many.end_time_ns == many.start_time_ns  # end before start → duration 0
    assert root.input_tokens == 0  # negative token count → 0
    assert root.attributes["big"].endswith("...[truncated 136000 chars]")
    assert root.attributes["bytes"] == '"AAE="' and root.attributes["empty"] == ""
    assert json.loads(root.attributes["kv"]) == {"a": 1}  # unknown/nested types → text
    assert len(many.attributes) == 1001  # first 1000 kept, and the count of dropped ones
    assert many.attributes["spanwise.dropped_attributes_count"] == "99000"


def _chain_and_cycle_spans(trace_id: bytes, depth: int) -> list:
    ids = [i.to_bytes(8, "big") for i in range(1, depth + 1)]
    now = time.time_ns()
    spans = [trace_pb2.Span(trace_id=trace_id, span_id=sid, parent_span_id=ids[i - 1] if i else b"",
                            name=f"d{i}", start_time_unix_nano=now + i, end_time_unix_nano=now + i + 5)
             for i, sid in enumerate(ids)]  # fmt: skip
    a, b = b"\xaa" * 8, b"\xbb" * 8  # a parent cycle: a → b → a
    spans.append(trace_pb2.Span(trace_id=trace_id, span_id=a, parent_span_id=b, name="cyc-a",
                                start_time_unix_nano=now, end_time_unix_nano=now + 1))  # fmt: skip
    spans.append(trace_pb2.Span(trace_id=trace_id, span_id=b, parent_span_id=a, name="cyc-b",
                                start_time_unix_nano=now, end_time_unix_nano=now + 1))  # fmt: skip
    return spans


def test_deep_parent_chains_and_cycles_are_stored_and_rendered(collector, client):
    from rich.console import Console
    from spanwise_collector.cli.render import trace_tree

    trace_id = new_trace_id()
    export, channel = stub(collector.grpc_target)
    try:
        export.Export(wrap(_chain_and_cycle_spans(trace_id, 10_000)), timeout=60)
    finally:
        channel.close()
    trace = client.get_trace(trace_id.hex())
    assert len(trace.data.spans) == 10_002 and trace.info.name == "d0"
    out = io.StringIO()
    Console(file=out, width=1200).print(trace_tree(trace))
    text = out.getvalue()
    assert "… 9,800 deeper span(s) not shown (depth > 200" in text  # d0 … d199 drawn
    assert "(parent cycle)" in text and "cyc-a" in text and "cyc-b" in text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/traces/not-an-id", 400),
        ("/api/v1/traces/" + "g" * 32, 400),
        ("/api/v1/traces?page_token=%%%", 400),
        ("/api/v1/traces?page_token=e30", 400),  # {}
        ("/api/v1/traces?page_token=eyJzIjoxZTMwMCwidCI6IngifQ", 400),  # s not an int
        ("/api/v1/traces?page_token=eyJzIjo5OTk5OTk5OTk5OTk5OTk5OTk5OTk5LCJ0IjoieCJ9", 400),
        ("/api/v1/traces?limit=1000000000000000000000000", 422),
        ("/api/v1/traces?limit=-1", 422),
        ("/api/v1/traces?include_spans=maybe", 422),
    ],
)
def test_bad_query_parameters_are_4xx_with_a_message(collector, path, expected):
    status, text = http(collector.http_url + path)
    assert status == expected, text
    assert json.loads(text)["detail"]


@pytest.mark.parametrize(
    ("path", "body", "name"),
    [
        ("/api/v1/costs?since=99999999999999999999", None, "since"),  # was a 500
        ("/api/v1/costs?since=1d&until=99999999999999", None, "until"),  # was "store unavailable"
        ("/api/v1/costs?since=0001-01-01", None, "since"),
        ("/api/v1/costs?until=soon", None, "until"),
        ("/api/v1/pricing/unknown?since=999999999999d", None, "since"),
        ("/api/v1/pricing/reprice", {"since": "99999999999999999999"}, "since"),
        ("/api/v1/traces?until=tomorrow", None, "until"),
        ("/api/v1/sessions?since=yesterday", None, "since"),
        ("/api/v1/analytics", {"until": "nope"}, "until"),
    ],
)
def test_a_bad_or_out_of_range_time_is_400_naming_the_parameter(collector, path, body, name):
    data = None if body is None else json.dumps(body).encode()
    status, text = http(collector.http_url + path, data, "application/json")
    assert status == 400, text
    assert json.loads(text)["detail"].startswith((f"{name} ", f"invalid {name} ")), text


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/v1/traces/search", "filter_string"),  # MLflow's name; this API's is "filter"
        ("/api/v1/spans/search", "filters"),
        ("/api/v1/analytics", "group"),
        ("/api/v1/runs/search", "filter"),  # MLflow REST's name; this API's is "filter_string"
    ],
)
def test_a_misspelt_search_key_is_refused_not_ignored(collector, path, key):
    # ignored, it answered 200 with every trace/run, as if all had matched
    body = json.dumps({key: "trace.name = 'nothing-has-this-name'"}).encode()
    status, text = http(collector.http_url + path, body, "application/json")
    assert status == 422, text
    assert [e["loc"] for e in json.loads(text)["detail"]] == [["body", key]]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/traces?filter_string=trace.status%20%3D%20'ERROR'", "filter_string"),
        ("/api/v1/traces?max_results=5", "max_results"),  # this endpoint's is "limit"
        ("/api/v1/sessions?limit=5", "limit"),  # and this one's "max_results"
        ("/api/v1/costs?groupby=model", "groupby"),
    ],
)
def test_an_unknown_query_parameter_is_refused_not_ignored(collector, path, name):
    # ignored, it answered 200: every trace, the default page size, costs by nothing
    status, text = http(collector.http_url + path)
    assert status == 400, text
    assert json.loads(text)["detail"].startswith(f"unknown query parameter '{name}'; ")


def test_spool_full_over_http_is_429_with_retry_after():
    from spanwise_collector.pipeline.admission import Overloaded
    from spanwise_collector.pipeline.spool import SpoolFull
    from spanwise_collector.receiver.errors import classify

    for exc in (SpoolFull("full"), Overloaded("busy")):
        outcome = classify(exc)
        assert (outcome.http_status, outcome.grpc_code, outcome.retryable) == (
            429, "RESOURCE_EXHAUSTED", True)  # fmt: skip
    assert spanwise  # the SDK retries RESOURCE_EXHAUSTED (test_sdk_retries.py)
