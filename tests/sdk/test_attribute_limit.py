"""A span given more attributes than OTel's limit (128) keeps what makes it what it is —
its type, inputs, outputs, model and tokens — and loses the oldest of the app's own."""

from __future__ import annotations

import spanwise


def test_a_span_with_too_many_attributes_keeps_its_type_values_and_price(sdk, fetch_trace):
    @spanwise.trace(name="lookup", span_type="TOOL")
    def lookup(query: str) -> str:
        spanwise.get_current_active_span().set_attributes({f"k{i}": i for i in range(200)})
        return "found"

    @spanwise.trace(span_type="AGENT")
    def agent() -> str:
        with spanwise.start_span("my_model") as call:
            call.set_llm_usage(model="gpt-4o-mini", input_tokens=1_000, output_tokens=100)
            call.set_attributes({f"m{i}": i for i in range(200)})
        return lookup("weather")

    agent()
    spans = {s.name: s for s in fetch_trace(spanwise.get_last_active_trace_id()).data.spans}
    tool, model = spans["lookup"], spans["my_model"]
    assert (tool.span_type, tool.inputs, tool.outputs) == ("TOOL", {"query": "weather"}, "found")
    assert "k199" in tool.attributes and "k0" not in tool.attributes  # the oldest went
    assert (model.span_type, model.model, model.input_tokens) == ("LLM", "gpt-4o-mini", 1_000)
    assert model.cost_status == "ok" and model.cost > 0
