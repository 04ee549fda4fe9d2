"""Run a call inside a traced ``parent`` function and read back what was recorded: the
LLM integrations' tests (openai, anthropic) check spans this way."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import spanwise
from spanwise import SpanType


def traced_runner(fetch_trace: Callable[[str], Any], types: Collection[str]) -> Callable:
    """``run(fn, *args, **kwargs)`` -> (result, the parent span, spans of ``types``)."""

    def run(fn: Callable, *args: Any, **kwargs: Any) -> tuple[Any, Any, list]:
        seen = {}

        @spanwise.trace(name="parent", span_type=SpanType.AGENT, capture_outputs=False)
        def parent() -> Any:
            seen["trace_id"] = spanwise.get_current_trace_id()
            return fn(*args, **kwargs)

        result = parent()
        trace = fetch_trace(seen["trace_id"])
        root = next(s for s in trace.data.spans if s.name == "parent")
        matching = sorted(
            (s for s in trace.data.spans if s.span_type in types), key=lambda s: s.start_time_ns
        )
        return result, root, matching

    return run
