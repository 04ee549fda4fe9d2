"""Values the handler must record without losing the run's span."""

from __future__ import annotations

import numpy as np
import spanwise
from langchain_core.runnables import RunnableLambda

from .conftest import named


def test_array_inputs_keep_their_chain_spans(autolog, fetch_trace):
    # numpy and pandas compare element-wise: a truth test on the input raised
    # inside the callback and the step's span was never opened.
    total = RunnableLambda(lambda a: int(a.sum())).with_config(run_name="total")
    with spanwise.start_span("request") as root:
        assert total.invoke(np.array([1, 2, 3])) == 6
    (span,) = named(fetch_trace(root.trace_id), "total")
    assert span.parent_id == root.span_id
    assert span.inputs == [1, 2, 3] and span.outputs == 6
