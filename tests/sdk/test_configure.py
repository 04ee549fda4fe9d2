"""configure(): a value it cannot use is refused at once and changes nothing."""

from __future__ import annotations

import pytest
import spanwise


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"max_value_chars": "100"}, TypeError, "max_value_chars must be a whole number"),
        ({"max_value_chars": -5}, ValueError, "max_value_chars must be >= 1"),
        ({"max_queue_size": 0}, ValueError, "max_queue_size must be >= 1"),
        ({"schedule_delay_ms": "500"}, TypeError, "schedule_delay_ms must be a whole number"),
        ({"project": 5}, TypeError, "project must be a str"),
        ({"project": ""}, ValueError, "project must not be empty"),
        ({"capture_inputs": "no"}, TypeError, "capture_inputs must be True or False"),
        ({"bogus": 1}, TypeError, "unknown settings: bogus"),
    ],
)
def test_a_bad_setting_is_refused_and_tracing_goes_on_as_before(
    sdk, fetch_trace, settings, error, message
):
    with pytest.raises(error, match=message):
        spanwise.configure(**settings)
    seen = {}

    @spanwise.trace
    def answer(question: str) -> str:
        seen["trace_id"] = spanwise.get_current_trace_id()
        return question.upper()

    answer("why?")
    # Before: taken, then every call lost its inputs and outputs (max_value_chars), the
    # spans failed to export (project=5), or a later configure() failed half way.
    trace = fetch_trace(seen["trace_id"])
    (span,) = trace.data.spans
    assert span.inputs == {"question": "why?"} and span.outputs == "WHY?"
    assert trace.info.project == "tests"


def test_a_numpy_integer_setting_is_taken_as_a_number(sdk):
    np = pytest.importorskip("numpy")
    spanwise.configure(max_value_chars=np.int64(20_000))
    try:
        from spanwise._internal.provider import STATE

        assert type(STATE.settings.max_value_chars) is int
    finally:
        spanwise.configure(max_value_chars=32_000)
