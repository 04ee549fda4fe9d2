"""Structure-aware fuzzing of the OTLP decode/convert path: valid OTLP messages
with hostile contents either convert into a batch that Arrow (and so the store)
accepts, or are refused with ``InvalidSpans`` — never any other exception."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from spanwise_collector.pipeline.convert import InvalidSpans, convert
from spanwise_collector.receiver.decode import parse_request
from spanwise_collector.receiver.otlp_json import parse_json_request

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

text = st.text(max_size=40) | st.sampled_from(["", "\x00", "é" * 50, "gen_ai.usage.input_tokens"])
u64 = st.integers(0, 2**64 - 1) | st.sampled_from([0, 1, 2**63, 2**64 - 1])
ids16 = st.binary(min_size=16, max_size=16) | st.binary(max_size=20)
ids8 = st.binary(min_size=8, max_size=8) | st.binary(max_size=10)
keys = st.sampled_from([
    "gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
    "spanwise.inputs", "spanwise.span.type", "session.id", "spanwise.trace.tags.t",
    "spanwise.project", "llm.token_count.prompt", "service.name",
]) | text  # fmt: skip

scalar = st.one_of(
    text.map(lambda v: common_pb2.AnyValue(string_value=v)),
    st.booleans().map(lambda v: common_pb2.AnyValue(bool_value=v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: common_pb2.AnyValue(int_value=v)),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda v: common_pb2.AnyValue(double_value=v)),
    st.binary(max_size=20).map(lambda v: common_pb2.AnyValue(bytes_value=v)),
    st.just(common_pb2.AnyValue()),
)  # fmt: skip
any_value = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(
            lambda vs: common_pb2.AnyValue(array_value=common_pb2.ArrayValue(values=vs))),
        st.lists(st.tuples(keys, inner), max_size=4).map(
            lambda kvs: common_pb2.AnyValue(kvlist_value=common_pb2.KeyValueList(
                values=[common_pb2.KeyValue(key=k, value=v) for k, v in kvs]))),
    ),
    max_leaves=10,
)  # fmt: skip
attributes = st.lists(
    st.builds(lambda k, v: common_pb2.KeyValue(key=k, value=v), keys, any_value), max_size=8
)
span = st.builds(
    lambda tid, sid, pid, name, kind, start, end, attrs, code, msg, events, links: trace_pb2.Span(
        trace_id=tid, span_id=sid, parent_span_id=pid, name=name, kind=kind,
        start_time_unix_nano=start, end_time_unix_nano=end, attributes=attrs,
        status=trace_pb2.Status(code=code, message=msg), events=events, links=links,
    ),
    ids16, ids8, st.just(b"") | ids8, text, st.integers(-5, 10), u64, u64, attributes,
    st.integers(-3, 5), text,
    st.lists(st.builds(lambda t, n, a: trace_pb2.Span.Event(time_unix_nano=t, name=n, attributes=a),
                       u64, text, attributes), max_size=3),
    st.lists(st.builds(lambda t, s: trace_pb2.Span.Link(trace_id=t, span_id=s), ids16, ids8),
             max_size=2),
)  # fmt: skip
requests = st.lists(
    st.builds(
        lambda res, spans: trace_pb2.ResourceSpans(
            resource=resource_pb2.Resource(attributes=res),
            scope_spans=[trace_pb2.ScopeSpans(spans=spans)],
        ),
        attributes, st.lists(span, max_size=4),
    ),
    max_size=3,
).map(lambda rs: trace_service_pb2.ExportTraceServiceRequest(resource_spans=rs))  # fmt: skip


def _convert_or_refuse(request) -> None:
    try:
        batch = convert(request, default_project="fuzz")
    except InvalidSpans:
        return
    table = batch.to_arrow()  # the exact table the writer inserts: types and ranges fit
    assert table.num_rows == sum(len(ss.spans) for rs in request.resource_spans
                                 for ss in rs.scope_spans)  # fmt: skip


@FUZZ
@given(requests)
def test_hostile_otlp_messages_convert_or_are_refused(request):
    _convert_or_refuse(request)


@FUZZ
@given(requests, st.data())
def test_corrupted_bytes_decode_or_are_refused(request, data):
    payload = bytearray(request.SerializeToString())
    for _ in range(data.draw(st.integers(0, 4))):
        if not payload:
            break
        i = data.draw(st.integers(0, len(payload) - 1))
        payload[i] = data.draw(st.integers(0, 255))
    try:
        decoded = parse_request(bytes(payload))
    except InvalidSpans:
        return
    _convert_or_refuse(decoded)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["resourceSpans", "scopeSpans", "spans", "traceId", "spanId",
                         "attributes", "name", "startTimeUnixNano", "key", "value"]) | text,
        inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


@FUZZ
@given(json_value)
def test_hostile_otlp_json_parses_or_is_refused(payload):
    try:
        request = parse_json_request(json.loads(json.dumps(payload)))
    except InvalidSpans:
        return
    _convert_or_refuse(request)
