"""Values the handler must record without losing the run's span: array-like inputs
(numpy, pandas) and a redact hook that refuses a streamed chain's input."""

from __future__ import annotations

import numpy as np
import spanwise
from langchain_core.runnables import RunnableLambda

from .conftest import named, redact_refusing
from .models import chain, streaming_model


def test_array_inputs_keep_their_chain_spans(autolog, fetch_trace):
    # numpy and pandas compare element-wise: a truth test on the input raised
    # inside the callback and the step's span was never opened.
    total = RunnableLambda(lambda a: int(a.sum())).with_config(run_name="total")
    with spanwise.start_span("request") as root:
        assert total.invoke(np.array([1, 2, 3])) == 6
    (span,) = named(fetch_trace(root.trace_id), "total")
    assert span.parent_id == root.span_id
    assert span.inputs == [1, 2, 3] and span.outputs == 6


def test_a_redact_hook_refusing_a_streamed_input_still_ends_the_chain(
    autolog, fetch_trace, monkeypatch
):
    # A streamed chain learns its input at the end; a redact hook that raises on it
    # left the span open for good (lost, its children orphaned, kept in memory).
    with redact_refusing(monkeypatch, "secret"), spanwise.start_span("request") as root:
        chunks = list(chain(streaming_model()).stream({"city": "secret"}))
    assert "".join(chunks) == "Paris is sunny today"
    trace = fetch_trace(root.trace_id)
    (seq,) = named(trace, "RunnableSequence")
    assert seq.parent_id == root.span_id and seq.status == "OK"
    assert seq.inputs is None  # neither the unredacted input nor the {"input": ""} placeholder
    assert seq.outputs == "Paris is sunny today"
    (llm,) = named(trace, "GenericFakeChatModel")
    assert llm.parent_id == seq.span_id


def test_an_empty_input_the_app_passes_is_shown(autolog, fetch_trace):
    # {"input": ""} is also what a stream starts with; an invoked run's is the app's own.
    echo = RunnableLambda(lambda x: x).with_config(run_name="echo")
    with spanwise.start_span("request") as root:
        echo.invoke({"input": ""})
    (span,) = named(fetch_trace(root.trace_id), "echo")
    assert span.inputs == {"input": ""} and span.outputs == {"input": ""}
