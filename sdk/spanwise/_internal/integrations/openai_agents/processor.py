"""A tracing processor for the OpenAI Agents SDK: its traces and spans as Spanwise spans.

The SDK calls ``on_*_start``/``on_*_end`` where its own spans start and end, in the
task that runs them. Each Spanwise span is made current there (and released at its
end), so what runs inside — a traced tool function, the OpenAI client's call when
``spanwise.openai.autolog()`` is on — nests under it. The SDK's model-call spans then
add nothing (the client's span is the LLM call, priced once); without the OpenAI
autolog they become the LLM spans. Nothing failing in here reaches the agent run.
"""

from __future__ import annotations

import sys
from typing import Any

from agents.tracing import TracingProcessor
from opentelemetry import trace as trace_api

from ... import attributes as attrs
from ...errors import log_internal_error
from ...fastcontext import attach_span, detach_quietly
from ...lean import start_lean_span
from ...provider import STATE, get_tracer
from ...spans import capture, record_error
from ..llm_client.settings import Current
from . import mapping

_AGENT_OR_RUN = frozenset({"agent", "trace"})


class _Open:
    """A Spanwise span standing for an SDK trace or span until it ends."""

    __slots__ = ("handling", "inputs", "kind", "outputs", "parent", "span", "token")

    def __init__(self, span: Any, token: Any, kind: str, parent: str | None) -> None:
        self.span = span
        self.token = token
        self.kind = kind
        self.parent = parent
        self.inputs: Any = None
        self.outputs: Any = None
        # the exception being handled when a trace began (a run started in an
        # ``except`` block): not the run's own failure when it is still there at the end
        self.handling: BaseException | None = None


def _openai_autolog_on() -> bool:
    from ..openai import is_enabled

    return is_enabled()


class SpanwiseProcessor(TracingProcessor):
    def __init__(self, current: Current) -> None:
        self.current = current
        self._open: dict[str, _Open] = {}  # SDK trace or span id -> its span
        # SDK spans without a span of their own -> (kind, the key that stands for them)
        self._folded: dict[str, tuple[str, str | None]] = {}

    # -- the SDK's interface -----------------------------------------------------------

    def on_trace_start(self, trace: Any) -> None:
        if self.current.options is None:
            return
        try:
            attributes: dict[str, Any] = {
                attrs.SPAN_TYPE: attrs.SpanType.AGENT,
                "openai_agents.trace_id": str(trace.trace_id),
            }
            group = getattr(trace, "group_id", None)
            if isinstance(group, str) and group:
                attributes[attrs.SESSION_ID] = group  # the SDK's conversation id
            metadata = getattr(trace, "metadata", None)
            if isinstance(metadata, dict):
                for key, value in metadata.items():
                    if isinstance(value, str):
                        attributes[attrs.TRACE_METADATA_PREFIX + str(key)] = value
            span = start_lean_span(str(trace.name or "Agent workflow"), attributes)
            entry = self._open[trace.trace_id] = _Open(span, attach_span(span), "trace", None)
            entry.handling = sys.exc_info()[1]
        except Exception:
            log_internal_error("starting an Agents SDK trace span")

    def on_trace_end(self, trace: Any) -> None:
        entry = self._open.pop(trace.trace_id, None)
        if entry is None:
            return
        # The SDK's traces carry no error: a run that raises (MaxTurnsExceeded, a tripped
        # guardrail, a model error) ends its trace while the exception passes through
        # the run's ``with`` block, where it is the one being handled.
        failure = sys.exc_info()[1]
        if failure is not None and failure is not entry.handling:
            record_error(entry.span, failure)
        self._end(entry, {}, None, None)

    def on_span_start(self, span: Any) -> None:
        if self.current.options is None:
            return
        try:
            data = span.span_data
            kind = mapping.kind_of(data)
            parent = self._resolve(span.parent_id or span.trace_id)
            if kind in mapping.FOLDED or (kind in mapping.MODEL_CALLS and _openai_autolog_on()):
                self._folded[span.span_id] = (kind, parent)
                return
            name, span_type = mapping.name_and_type(kind, data)
            attributes = {attrs.SPAN_TYPE: span_type, **mapping.start_attributes(kind, data)}
            above = self._open.get(parent) if parent is not None else None
            if above is not None:
                context = trace_api.set_span_in_context(above.span)
                otel = get_tracer().start_span(name, context=context, attributes=attributes)
            else:
                otel = start_lean_span(name, attributes)
            self._open[span.span_id] = _Open(otel, attach_span(otel), kind, parent)
        except Exception:
            log_internal_error("starting an Agents SDK span")

    def on_span_end(self, span: Any) -> None:
        folded = self._folded.pop(span.span_id, None)
        if folded is not None:
            if folded[0] in mapping.MODEL_CALLS:
                self._answered(folded[1], span.span_data)
            return
        entry = self._open.pop(span.span_id, None)
        if entry is None:
            return
        out: dict[str, Any] = {}
        inputs = outputs = None
        try:
            data = span.span_data
            # The SDK fills some fields after the start (an agent's tools, a handoff's
            # target, a call's model): read them again.
            out.update(mapping.start_attributes(entry.kind, data))
            inputs, outputs = mapping.end_values(entry.kind, data, out)
            name, _ = mapping.name_and_type(entry.kind, data)
            if name != getattr(entry.span, "name", name):
                entry.span.update_name(name)
            if entry.kind in mapping.MODEL_CALLS:
                self._answered(entry.parent, data)
        except Exception:
            log_internal_error("reading an Agents SDK span")
        self._end(entry, out, inputs, outputs, getattr(span, "error", None))

    def shutdown(self) -> None:
        pass

    def force_flush(self) -> None:
        pass

    # -- helpers -------------------------------------------------------------------------

    def _resolve(self, key: str | None) -> str | None:
        """The key whose span stands for SDK span ``key`` (folded spans: their parent's)."""
        folded = self._folded.get(key) if key is not None else None
        return folded[1] if folded is not None else key

    def _answered(self, key: str | None, data: Any) -> None:
        """A model call ended: the first one's input is the input of the agent and the
        run around it; the last one's answer their output."""
        answer = mapping.output_text(data)
        asked = getattr(data, "input", None)
        while key is not None:
            entry = self._open.get(key)
            if entry is None:
                return
            if entry.kind in _AGENT_OR_RUN:
                if entry.inputs is None:
                    entry.inputs = asked
                if answer is not None:
                    entry.outputs = answer
            key = entry.parent

    def _end(
        self,
        entry: _Open,
        out: dict[str, Any],
        inputs: Any,
        outputs: Any,
        error: Any = None,
    ) -> None:
        span = entry.span
        try:
            options = self.current.options
            settings = STATE.settings
            inputs = entry.inputs if inputs is None else inputs
            outputs = entry.outputs if outputs is None else outputs
            if options is not None:
                if inputs is not None and options.log_inputs and settings.capture_inputs:
                    out[attrs.INPUTS] = capture(inputs)
                if outputs is not None and options.log_outputs and settings.capture_outputs:
                    out[attrs.OUTPUTS] = capture(outputs)
            if isinstance(error, dict) and error.get("message"):
                out[attrs.ERROR_TYPE] = "AgentsError"
                span.set_status(trace_api.Status(trace_api.StatusCode.ERROR, error["message"]))
            span.set_attributes(out)
        except Exception:
            log_internal_error("ending an Agents SDK span")
        finally:
            detach_quietly(entry.token)
            span.end()
