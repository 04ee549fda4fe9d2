"""The column-wise converter: every span's attributes, resource and derived fields end up
in its own Arrow row, also after batches of several requests are merged."""

from __future__ import annotations

import os

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from spanwise_collector.pipeline.convert import convert
from spanwise_collector.pipeline.normalize import derive
from spanwise_collector.trace_tags.encoding import stamp

from tests.reliability._otlp import attr


def _request(service: str, spans: list[list]) -> trace_service_pb2.ExportTraceServiceRequest:
    trace_id = os.urandom(16)
    return trace_service_pb2.ExportTraceServiceRequest(resource_spans=[
        trace_pb2.ResourceSpans(
            resource=resource_pb2.Resource(attributes=[attr("service.name", service)]),
            scope_spans=[trace_pb2.ScopeSpans(spans=[
                trace_pb2.Span(trace_id=trace_id, span_id=os.urandom(8), name=f"s{i}",
                               start_time_unix_nano=1_800_000_000 * 10**9,
                               end_time_unix_nano=1_800_000_001 * 10**9, attributes=a)
                for i, a in enumerate(spans)
            ])],
        )
    ])  # fmt: skip


def test_rows_keep_their_own_attributes_resource_and_derived_fields():
    first = convert(_request("svc-a", [
        [attr("gen_ai.request.model", "gpt-4o-mini"), attr("gen_ai.system", "openai"),
         attr("gen_ai.usage.input_tokens", 12), attr("spanwise.inputs", "hi"),
         attr("spanwise.trace.tags.env", "prod"), attr("flag", True), attr("ratio", 0.5)],
        [],
    ]))  # fmt: skip
    second = convert(_request("svc-b", [[attr("user.id", "u1"), attr("k", "v")]]))
    first.extend(second)
    rows = first.to_arrow().to_pylist()

    assert [r["ServiceName"] for r in rows] == ["svc-a", "svc-a", "svc-b"]
    assert [dict(r["ResourceAttributes"]) for r in rows] == [
        {"service.name": "svc-a"}, {"service.name": "svc-a"}, {"service.name": "svc-b"}
    ]  # fmt: skip
    llm, empty, other = rows
    assert dict(llm["SpanAttributes"]) == {
        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.system": "openai",
        "gen_ai.usage.input_tokens": "12", "flag": "true", "ratio": "0.5",
    }  # inputs and trace tags moved to their columns  # fmt: skip
    assert (llm["Model"], llm["Provider"], llm["InputTokens"], llm["Input"]) == (
        "gpt-4o-mini", "openai", 12, "hi"
    )  # fmt: skip
    # Stamped with when it was written (no time sent: the span's end), see encoding.py.
    assert dict(llm["TraceTags"]) == {"env": stamp(1_800_000_001 * 10**9, "prod")}
    assert empty["SpanAttributes"] == [] and empty["SpanType"] == "UNKNOWN"
    assert dict(other["SpanAttributes"]) == {"user.id": "u1", "k": "v"}
    assert other["UserId"] == "u1"
    assert first.span_attributes(2) == {"user.id": "u1", "k": "v"}


def test_derive_precedence_first_non_empty_key_wins_inputs_popped_even_when_empty():
    attrs = {
        "llm.model_name": "from-openinference",
        "gen_ai.request.model": "",  # empty: the next key in order wins
        "gen_ai.response.model": "",
        "input.value": "later key",
        "spanwise.inputs": "",  # first input key present: wins although empty, and is popped
        "gen_ai.usage.input_tokens": "-5",  # absurd -> 0
        "gen_ai.usage.output_tokens": "7.0",
        "gen_ai.usage.reasoning.output_tokens": "9",  # part above its total -> added
    }
    d = derive(attrs)
    assert d.model == "from-openinference"
    assert d.input == "" and "spanwise.inputs" not in attrs and attrs["input.value"] == "later key"
    assert (d.input_tokens, d.output_tokens, d.reasoning_tokens) == (0, 16, 9)
