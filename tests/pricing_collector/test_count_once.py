"""A call recorded twice (framework span + client span) is counted once, in any arrival order."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from .spans import AT, llm, send, span

# gpt-4o-mini: input $0.15, cached input $0.075, output $0.60 per 1M.
CHILD_COST = D(600) * D("0.15") / 10**6 + D(400) * D("0.075") / 10**6 + D(200) * D("0.6") / 10**6


@pytest.fixture(params=["past", "now"])
def at(request) -> datetime:
    """Span start times: long past (the store is asked about earlier spans) and now (the
    embedded collector answers from the traces it knows it stored, stored_traces.py)."""
    return AT if request.param == "past" else datetime.now(UTC)


def _call(tid: bytes, at: datetime = AT):
    """A LangChain-like chat-model span and, nested in it, the OpenAI client span."""
    root_id, chain_id, parent_id, child_id = (os.urandom(8) for _ in range(4))
    root = span(tid, "agent", {"spanwise.span.type": "AGENT"}, span_id=root_id, at=at)
    chain = span(
        tid, "chain", {"spanwise.span.type": "CHAIN"}, span_id=chain_id, parent=root_id, at=at
    )
    framework = span(
        tid, "ChatOpenAI", {"spanwise.span.type": "LLM", **llm("gpt-4o-mini", "openai", 1_000, 200)},
        span_id=parent_id, parent=chain_id, at=at,
    )  # fmt: skip
    client_span = span(
        tid, "openai.chat",
        llm("gpt-4o-mini-2024-07-18", "openai", 1_000, 200,
            **{"gen_ai.usage.cache_read.input_tokens": 400}),
        span_id=child_id, parent=parent_id, at=at,
    )  # fmt: skip
    return root, chain, framework, client_span


def _check(
    client, tid: bytes, carrier: str, deferred: str, status: str, summary: bool = True
) -> None:
    trace = client.get_trace(tid.hex())
    spans = {s.name: s for s in trace.data.spans}
    assert spans[carrier].cost_status == "ok"
    assert spans[deferred].cost is None and spans[deferred].cost_status == status
    assert spans[deferred].input_tokens == 1_000  # tokens kept on the span
    cost = spans[carrier].cost
    assert trace.info.cost == cost
    assert (trace.info.input_tokens, trace.info.output_tokens) == (1_000, 200)
    if not summary:
        return
    (listed,) = client.search_traces(filter_string=f"trace.id = '{tid.hex()}'")
    assert listed.info.cost == cost  # the trace summary counts it once too
    assert (listed.info.input_tokens, listed.info.output_tokens) == (1_000, 200)


@pytest.mark.parametrize(
    "batches",
    [
        pytest.param([[0, 1, 2, 3]], id="one-batch"),
        pytest.param([[3], [1, 2, 0]], id="child-first"),  # the usual order: children end first
        pytest.param([[3, 1], [2], [0]], id="child-first-three-batches"),
    ],
)
def test_client_span_carries_the_cost(collector, client, batches, at):
    tid = os.urandom(16)
    spans = _call(tid, at)
    for batch in batches:
        send(collector.http_url, [spans[i] for i in batch])
    _check(client, tid, carrier="openai.chat", deferred="ChatOpenAI", status="counted_in_child")
    child = next(s for s in client.get_trace(tid.hex()).data.spans if s.name == "openai.chat")
    assert child.cost == CHILD_COST


def test_parent_stored_first_keeps_the_cost(collector, client, at):
    # Two exporters: the framework span reached the collector before the client span.
    tid = os.urandom(16)
    root, chain, framework, client_span = _call(tid, at)
    send(collector.http_url, [framework, chain, root])
    send(collector.http_url, [client_span])
    _check(client, tid, carrier="ChatOpenAI", deferred="openai.chat", status="counted_in_parent")


def test_redelivery_does_not_change_the_carrier(collector, client, at):
    tid = os.urandom(16)
    spans = _call(tid, at)
    send(collector.http_url, [spans[3]])
    send(collector.http_url, list(spans))
    send(collector.http_url, [spans[3]])  # the client span re-delivered after its parent
    # Span-level: the same carrier. (The trace summary adds re-delivered rows again: that is
    # the summary's re-delivery rule, not pricing's.)
    _check(client, tid, "openai.chat", "ChatOpenAI", "counted_in_child", summary=False)


def test_parent_with_two_calls_defers_to_both(collector, client, at):
    tid = os.urandom(16)
    parent_id = os.urandom(8)
    parent = span(
        tid, "agent-llm", llm("gpt-4o-mini", "openai", 2_000, 400), span_id=parent_id, at=at
    )
    calls = [span(tid, f"call{n}", llm("gpt-4o-mini", "openai", 1_000, 200), parent=parent_id,
                  at=at)
             for n in range(2)]  # fmt: skip
    send(collector.http_url, calls)
    send(collector.http_url, [parent])
    trace = client.get_trace(tid.hex())
    spans = {s.name: s for s in trace.data.spans}
    assert spans["agent-llm"].cost_status == "counted_in_child"
    assert trace.info.cost == spans["call0"].cost + spans["call1"].cost
    assert trace.info.input_tokens == 2_000


def test_call_behind_a_separately_sent_wrapper_span(collector, client, at):
    # framework LLM span -> a plain wrapper span -> the client span, each in its own
    # request: only the store knows the wrapper (the in-memory recent-trace cache keeps
    # usage traces only), so the client span must find its costed ancestor through it.
    tid = os.urandom(16)
    framework_id, wrapper_id = os.urandom(8), os.urandom(8)
    framework = span(
        tid, "ChatOpenAI", llm("gpt-4o-mini", "openai", 1_000, 200), span_id=framework_id, at=at
    )
    wrapper = span(tid, "retry-wrapper", {}, span_id=wrapper_id, parent=framework_id, at=at)
    client_span = span(
        tid, "openai.chat", llm("gpt-4o-mini", "openai", 1_000, 200), parent=wrapper_id, at=at
    )
    for batch in ([framework], [wrapper], [client_span]):
        send(collector.http_url, batch)
    trace = client.get_trace(tid.hex())
    spans = {s.name: s for s in trace.data.spans}
    assert spans["ChatOpenAI"].cost_status == "ok"
    assert spans["openai.chat"].cost is None
    assert spans["openai.chat"].cost_status == "counted_in_parent"
    assert trace.info.cost == spans["ChatOpenAI"].cost
