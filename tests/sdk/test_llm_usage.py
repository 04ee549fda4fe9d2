"""A model call Spanwise does not instrument, recorded by hand with set_llm_usage, is
priced by the collector like an autologged one."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import spanwise


def test_a_hand_recorded_call_is_priced(sdk, fetch_trace):
    @spanwise.trace(name="my_model")  # no span type: it becomes LLM
    def call_my_model(prompt: str) -> str:
        spanwise.get_current_active_span().set_llm_usage(
            model="gpt-4o-mini", provider="openai", input_tokens=1_000, output_tokens=200,
            cached_input_tokens=400.0,  # a whole float is a count
        )  # fmt: skip
        return "answer"

    @spanwise.trace(span_type="AGENT")
    def agent() -> str:
        return call_my_model("hi")

    agent()
    trace = fetch_trace(spanwise.get_last_active_trace_id())
    span = next(s for s in trace.data.spans if s.name == "my_model")
    assert (span.span_type, span.model, span.input_tokens, span.output_tokens) == (
        "LLM", "gpt-4o-mini", 1_000, 200
    )  # fmt: skip
    # gpt-4o-mini per 1M: input $0.15, cached input $0.075, output $0.60
    expected = (D(600) * D("0.15") + D(400) * D("0.075") + D(200) * D("0.6")) / 10**6
    assert (span.cost, span.cost_status) == (expected, "ok")
    assert trace.info.cost == expected


def test_bad_counts_are_refused_and_set_nothing(sdk, fetch_trace):
    with spanwise.start_span("call", span_type="CHAIN") as span:
        for bad in ({"input_tokens": -1}, {"output_tokens": True}, {"reasoning_tokens": 1.5},
                    {"model": ""}, {"input_tokens": "12"}):  # fmt: skip
            with pytest.raises(ValueError, match=next(iter(bad))):
                span.set_llm_usage(**{"model": "gpt-4o", "input_tokens": 5, **bad})
        span.set_llm_usage(output_tokens=3)  # a typed span keeps its type
    got = next(s for s in fetch_trace(span.trace_id).data.spans if s.name == "call")
    usage = {k: v for k, v in got.attributes.items() if k.startswith("gen_ai.")}
    assert (got.span_type, usage) == ("CHAIN", {"gen_ai.usage.output_tokens": "3"})


def test_numpy_counts_are_counts(sdk, fetch_trace):
    """A count from numpy (attention_mask.sum(), len of an array slice) was refused:
    'input_tokens must be a whole number >= 0, got np.int64(12)'."""
    np = pytest.importorskip("numpy")
    mask = np.ones(12, dtype=np.int64)
    with spanwise.start_span("local model") as span:
        span.set_llm_usage(model="gpt-4o-mini", input_tokens=mask.sum(),
                           output_tokens=np.int32(3), cached_input_tokens=np.float64(4))  # fmt: skip
        with pytest.raises(ValueError, match="output_tokens"):
            span.set_llm_usage(output_tokens=np.int64(-1))
    (got,) = fetch_trace(span.trace_id).data.spans
    assert (got.span_type, got.input_tokens, got.output_tokens) == ("LLM", 12, 3)
    assert got.cost_status == "ok"
