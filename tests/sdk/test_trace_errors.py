"""Exceptions through traced code: recorded on the span as they are, raised unchanged."""

from __future__ import annotations

import pytest
import spanwise


class Unprintable(Exception):
    """An exception whose text cannot be read (a broken ``__str__``)."""

    def __str__(self) -> str:
        raise RuntimeError("no text")


def test_an_exception_whose_str_raises_still_marks_the_span_error(sdk, fetch_trace):
    seen = {}

    @spanwise.trace
    def failing():
        seen["trace_id"] = spanwise.get_current_trace_id()
        raise Unprintable()

    with pytest.raises(Unprintable):
        failing()
    with pytest.raises(Unprintable), spanwise.start_span("block"):
        seen["block"] = spanwise.get_current_trace_id()
        raise Unprintable()
    for trace_id in (seen["trace_id"], seen["block"]):
        trace = fetch_trace(trace_id)
        (span,) = trace.data.spans
        assert trace.info.status == "ERROR" and span.status == "ERROR"
        assert span.status_message == "Unprintable: <exception str() failed>"
        (event,) = span.events
        assert event.attributes["exception.type"].endswith("test_trace_errors.Unprintable")
        assert event.attributes["exception.message"] == "<exception str() failed>"
        assert "Unprintable" in event.attributes["exception.stacktrace"]


def test_update_current_trace_with_a_list_of_tags_is_a_clear_error_and_sets_nothing(
    sdk, fetch_trace
):
    seen = {}
    with spanwise.start_span("request"):
        seen["trace_id"] = spanwise.get_current_trace_id()
        with pytest.raises(TypeError, match="tags must be a mapping, got list"):
            spanwise.update_current_trace(tags=["beta"], session_id="s-1")  # Langfuse's form
        with pytest.raises(TypeError, match="metadata must be a mapping, got str"):
            spanwise.update_current_trace(metadata="v2", user_id="u-1")
        spanwise.update_current_trace(tags={"beta": ""})
    info = fetch_trace(seen["trace_id"]).info
    assert info.tags == {"beta": ""} and info.session_id is None and info.user_id is None


def test_misshapen_decorator_and_start_span_arguments_are_clear_errors(sdk):
    with pytest.raises(TypeError, match=r"trace\(attributes=...\) takes a mapping, got list"):
        spanwise.trace(attributes=["team"])(lambda: None)
    with pytest.raises(TypeError, match="output_reducer must be callable, got str"):
        spanwise.trace(output_reducer="join")(lambda: iter(()))
    with (
        pytest.raises(TypeError, match="takes attributes as a mapping, got list"),
        spanwise.start_span("block", attributes=["team"]),
    ):
        pass


def test_a_huge_error_or_attribute_is_cut_and_costs_no_other_span(sdk, fetch_trace):
    """A span beyond the collector's 32 MiB request limit had its whole export batch
    refused: the spans sent with it were lost too."""
    seen = {}

    @spanwise.trace
    def fine():
        seen["fine"] = spanwise.get_current_trace_id()

    @spanwise.trace
    def failing():
        seen["failing"] = spanwise.get_current_trace_id()
        raise ValueError("x" * 12_000_000)  # in the status, the event and the stack trace

    fine()
    with pytest.raises(ValueError) as raised:
        failing()
    assert len(str(raised.value)) == 12_000_000  # the user's exception is untouched
    with spanwise.start_span("blob") as span:
        seen["blob"] = spanwise.get_current_trace_id()
        span.set_attribute("document", "y" * 34_000_000)
    assert fetch_trace(seen["fine"]).data.spans[0].status == "OK"
    (failed,) = fetch_trace(seen["failing"]).data.spans
    assert failed.status_message.startswith("ValueError: xxx")
    assert failed.status_message.endswith("...[truncated 11968000 chars]")
    assert failed.events[0].attributes["exception.message"].endswith("[truncated 11968000 chars]")
    assert len(failed.events[0].attributes["exception.stacktrace"]) < 40_000
    (blob,) = fetch_trace(seen["blob"]).data.spans
    assert blob.attributes["document"].endswith("...[truncated 33968000 chars]")


def test_span_handle_methods_given_no_mapping_say_so(sdk, fetch_trace):
    with spanwise.start_span("block") as span:
        # Before: AttributeError "'list' object has no attribute 'items'" from set_attributes;
        # add_event lost its event as a Spanwise internal error.
        with pytest.raises(TypeError, match="attributes must be a mapping, got list"):
            span.set_attributes(["team"])
        with pytest.raises(TypeError, match="attributes must be a mapping, got str"):
            span.add_event("retrieved", "3 docs")
        span.add_event("retrieved", {"docs": 3})
    (got,) = fetch_trace(span.trace_id).data.spans
    assert [e.name for e in got.events] == ["retrieved"]


@pytest.mark.parametrize(("code", "status"), [(0, "OK"), (None, "OK"), (2, "ERROR")])
def test_sys_exit_is_an_error_only_with_a_failure_code(sdk, fetch_trace, code, status):
    """A script's traced main() ending with sys.exit(0) (as click's standalone mode
    does) read ERROR 'SystemExit: 0'."""
    seen = {}

    @spanwise.trace
    def main():
        seen["trace_id"] = spanwise.get_current_trace_id()
        raise SystemExit(code)

    with pytest.raises(SystemExit):
        main()
    trace = fetch_trace(seen["trace_id"])
    assert trace.info.status == status and trace.data.spans[0].status == status
