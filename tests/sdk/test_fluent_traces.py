"""MLflow's module-level tracing helpers: get_current_active_span, get_trace, search_traces."""

from __future__ import annotations

import uuid

import pytest
import spanwise


def test_the_current_span_can_be_annotated_and_read_back_by_module_functions(sdk):
    assert spanwise.get_current_active_span() is None
    marker = uuid.uuid4().hex

    @spanwise.trace(name=f"agent-{marker}")
    def agent(question: str) -> str:
        span = spanwise.get_current_active_span()
        span.set_attribute("route", "faq")
        span.set_outputs({"note": "set by hand"})  # replaced by the return value below
        with spanwise.start_span("inner") as inner:
            current = spanwise.get_current_active_span()
            assert (current.span_id, current.parent_id) == (inner.span_id, span.span_id)
        return question[::-1]

    assert agent("abc") == "cba"
    trace_id = spanwise.get_last_active_trace_id()
    # No flush: both send this process's pending spans first.
    trace = spanwise.get_trace(trace_id)
    root = next(s for s in trace.data.spans if s.parent_id is None)
    assert (root.attributes["route"], root.outputs) == ("faq", "cba")
    found = spanwise.search_traces(f"trace.name = 'agent-{marker}'", project="tests")
    assert [t.info.trace_id for t in found] == [trace_id]
    frame = spanwise.search_traces(
        f"trace.name = 'agent-{marker}'", project="tests", return_type="pandas"
    )
    assert list(frame["trace_id"]) == [trace_id]
    assert spanwise.get_trace("0" * 31 + "1") is None


def test_get_trace_given_something_else_than_an_id_says_so(sdk):
    @spanwise.trace
    def agent() -> None:
        pass

    agent()
    trace = spanwise.get_trace(spanwise.get_last_active_trace_id())
    # Before: "quote_from_bytes() expected bytes" from deep inside urllib.
    with pytest.raises(TypeError, match="trace_id must be a str, got TraceInfo"):
        spanwise.get_trace(trace.info)
    with pytest.raises(TypeError, match="trace_id must be a str, got Trace"):
        spanwise.Client().get_trace(trace)


def test_mlflows_session_and_user_metadata_keys_name_them(sdk, fetch_trace):
    # MLflow 3 records a trace's session and user as these metadata keys
    with spanwise.start_span("chat"):
        spanwise.update_current_trace(
            metadata={"mlflow.trace.session": "s-1", "mlflow.trace.user": "u-1", "k": "v"}
        )
    info = fetch_trace(spanwise.get_last_active_trace_id()).info
    assert (info.session_id, info.user_id) == ("s-1", "u-1")
    assert info.metadata["k"] == "v" and info.metadata["mlflow.trace.session"] == "s-1"
    with spanwise.start_span("chat"):  # named ones win
        spanwise.update_current_trace(session_id="mine", metadata={"mlflow.trace.session": "s-2"})
    assert fetch_trace(spanwise.get_last_active_trace_id()).info.session_id == "mine"
