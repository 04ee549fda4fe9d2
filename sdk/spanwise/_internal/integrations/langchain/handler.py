"""``SpanwiseCallbackHandler``: LangChain callbacks → OpenTelemetry spans.

chains/runnables → CHAIN, prompt parsers → PARSER, chat models and LLMs → LLM,
tools → TOOL, retrievers → RETRIEVER, LangGraph graphs and legacy agents →
AGENT, LangGraph nodes → CHAIN. Every callback swallows its own failures
(``log_internal_error``), so the handler never breaks the chain it observes.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry.trace import Status, StatusCode

from ... import attributes as attrs
from ...errors import _raise_in_tests, log_internal_error
from ...provider import STATE, get_tracer
from ...spans import capture, clean_attribute, record_error
from .runs import RunSpans, detach_ended
from .serialize import message_to_dict, to_jsonable
from .task_watch import watch_task
from .trace_info import trace_level
from .usage import request_attributes, response_attributes, usage_attributes

__all__ = ["SpanwiseCallbackHandler"]

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _guarded(what: str) -> Callable[[_Method], _Method]:
    """A callback that logs its own failure (``log_internal_error``) instead of raising
    into the chain it observes."""

    def decorate(method: _Method) -> _Method:
        @functools.wraps(method)
        def callback(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except Exception:
                log_internal_error(what)
                return None

        return callback  # type: ignore[return-value]

    return decorate


# One registry for every handler instance: a run seen by two handlers (autolog and
# an explicit ``callbacks=[...]``) gets one span, and parents resolve across them.
RUNS = RunSpans()

_HIDDEN_TAG = "langgraph:hidden"  # LangGraph's internal plumbing runs
# Runs whose start callback is awaited by the coroutine doing the work, and that report
# no end when it is cancelled (chains report it, and may start in a helper task).
_WATCHED = (attrs.SpanType.LLM, attrs.SpanType.TOOL, attrs.SpanType.RETRIEVER)
_AGENT_CLASSES = ("AgentExecutor",)


def _run_name(name: str | None, serialized: Mapping[str, Any] | None, default: str) -> str:
    if name:
        return str(name)
    if isinstance(serialized, Mapping):
        if serialized.get("name"):
            return str(serialized["name"])
        ident = serialized.get("id")
        if isinstance(ident, list) and ident:
            return str(ident[-1])
    return default


def _chain_kind(
    name: str, run_type: str | None, tags: list[str], metadata: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Span type and extra attributes of a chain run."""
    node = metadata.get("langgraph_node")
    if node is not None and node == name and any(t.startswith("graph:step:") for t in tags):
        extra = {attrs.LANGGRAPH_NODE: str(node)}
        step = metadata.get("langgraph_step")
        if isinstance(step, int):
            extra[attrs.LANGGRAPH_STEP] = step
        return attrs.SpanType.CHAIN, extra
    if metadata.get("ls_integration") == "langgraph" and node is None:
        return attrs.SpanType.AGENT, {}  # a LangGraph graph run at the top
    if name in _AGENT_CLASSES:
        return attrs.SpanType.AGENT, {}
    if run_type == "parser":
        return attrs.SpanType.PARSER, {}
    return attrs.SpanType.CHAIN, {}


class SpanwiseCallbackHandler(BaseCallbackHandler):
    """Records LangChain / LangGraph runs as nested Spanwise spans.

    Pass it explicitly (``chain.invoke(x, config={"callbacks": [SpanwiseCallbackHandler()]})``)
    or let ``spanwise.langchain.autolog()`` attach it to every run.
    """

    # Called in the caller's task/thread, not in an executor: the context it sets
    # must be the one the run executes in, and callbacks stay ordered.
    run_inline = True

    def __init__(self, log_inputs: bool = True, log_outputs: bool = True) -> None:
        super().__init__()
        self.log_inputs = log_inputs
        self.log_outputs = log_outputs
        self.enabled = True

    # LangChain logs and swallows a handler's exception unless raise_error is set;
    # under the test suite internal errors must surface.
    @property
    def raise_error(self) -> bool:  # type: ignore[override]
        return _raise_in_tests()

    def _ignored(self) -> bool:
        # A disabled handler still ends the spans it opened.
        return not self.enabled and len(RUNS) == 0

    @property
    def ignore_llm(self) -> bool:
        return self._ignored()

    @property
    def ignore_chat_model(self) -> bool:
        return self._ignored()

    @property
    def ignore_chain(self) -> bool:
        return self._ignored()

    @property
    def ignore_agent(self) -> bool:
        return self._ignored()

    @property
    def ignore_retriever(self) -> bool:
        return self._ignored()

    @property
    def ignore_retry(self) -> bool:
        return self._ignored()

    @property
    def ignore_custom_event(self) -> bool:
        return True

    # --- span lifecycle -------------------------------------------------------------

    def _begins(self, run_id: UUID) -> bool:
        return self.enabled and run_id not in RUNS and not RUNS.is_skipped(run_id)

    def _start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        name: str,
        span_type: str,
        attributes: Mapping[str, Any],
        inputs: Any,
        tags: list[str] | None,
        metadata: Mapping[str, Any] | None,
    ) -> None:
        clean = {attrs.SPAN_TYPE: span_type}
        for key, value in attributes.items():
            clean[key] = clean_attribute(value)
        if parent_run_id is None:  # the run the app called: its config is the trace's
            clean.update(trace_level(tags, metadata))
        if inputs is not None and self.log_inputs and STATE.settings.capture_inputs:
            try:
                clean[attrs.INPUTS] = capture(inputs)
            except Exception:
                log_internal_error("capturing LangChain run inputs")  # the span still opens
        record = RUNS.start(run_id, parent_run_id, name, clean, get_tracer())
        if parent_run_id is None and span_type in _WATCHED:
            record.unwatch = watch_task(run_id, self._task_finished)

    @_guarded("ending a LangChain run its asyncio task left open")
    def _task_finished(self, run_id: UUID) -> None:
        if RUNS.get(run_id) is not None:
            cancelled = asyncio.CancelledError("its asyncio task ended before the run did")
            self._end(run_id, error=cancelled, typed_error=True)

    def _end(
        self,
        run_id: UUID,
        outputs: Any = None,
        attributes: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
        typed_error: bool = False,
        failure: str | None = None,
    ) -> None:
        if isinstance(error, asyncio.CancelledError):
            # A cancelled task takes its runs' callbacks with it (langchain-core reports
            # no end for a chat model awaited in it): the runs still open under this one
            # were cancelled with it.
            for child in RUNS.open_children(run_id):
                self._end(child, error=error)
        record = RUNS.pop(run_id)
        if record is None:
            RUNS.forget_skipped(run_id)
            return
        span = record.span
        try:
            if record.unwatch is not None:
                record.unwatch()
            for key, value in (attributes or {}).items():
                span.set_attribute(key, clean_attribute(value))
            if outputs is not None and self.log_outputs and STATE.settings.capture_outputs:
                try:
                    span.set_attribute(attrs.OUTPUTS, capture(outputs))
                except Exception:
                    log_internal_error("capturing LangChain run outputs")
            if isinstance(error, GeneratorExit):
                # The consumer stopped reading a stream: not a failure of the run.
                span.add_event("stream_closed_early")
            elif error is not None and _is_graph_control_flow(error):
                _record_control_flow(span, error)
            elif error is not None:
                if typed_error:
                    span.set_attribute(attrs.ERROR_TYPE, type(error).__qualname__)
                    status = getattr(error, "status_code", None)  # the provider client's
                    if isinstance(status, int) and not isinstance(status, bool):
                        span.set_attribute(attrs.HTTP_RESPONSE_STATUS_CODE, status)
                record_error(span, error)
            elif failure is not None:
                span.set_status(Status(StatusCode.ERROR, failure))
        finally:
            span.end()
            detach_ended(record)

    def _set_inputs(self, run_id: UUID, inputs: Any) -> None:
        """Streaming runs only know their input at the end."""
        record = RUNS.get(run_id)
        if record is None or inputs is None or not self.log_inputs:
            return
        if STATE.settings.capture_inputs:
            try:
                record.span.set_attribute(attrs.INPUTS, capture(to_jsonable(inputs)))
            except Exception:
                log_internal_error("capturing LangChain run inputs")  # the span still ends

    # --- chains ---------------------------------------------------------------------

    @_guarded("starting a LangChain chain span")
    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not self._begins(run_id):
            return
        if _HIDDEN_TAG in (tags or ()):
            RUNS.skip(run_id, parent_run_id)
            return
        name = _run_name(kwargs.get("name"), serialized, "chain")
        span_type, extra = _chain_kind(name, kwargs.get("run_type"), tags or [], metadata or {})
        # Streaming runs start with a placeholder input and report the real one at the end.
        shown = None if _is_placeholder(inputs, kwargs) else to_jsonable(inputs)
        self._start(run_id, parent_run_id, name, span_type, extra, shown, tags, metadata)

    @_guarded("ending a LangChain chain span")
    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._set_inputs(run_id, kwargs.get("inputs"))
        self._end(run_id, to_jsonable(outputs))

    @_guarded("ending a failed LangChain chain span")
    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._set_inputs(run_id, kwargs.get("inputs"))
        self._end(run_id, error=error)

    def on_agent_action(self, action: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._event(
            run_id,
            "agent_action",
            {"tool": getattr(action, "tool", ""), "tool_input": getattr(action, "tool_input", "")},
        )

    def on_agent_finish(self, finish: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._event(run_id, "agent_finish", {"return_values": getattr(finish, "return_values", {})})

    def on_retry(self, retry_state: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._event(run_id, "retry", {"attempt": getattr(retry_state, "attempt_number", 0)})

    def _event(self, run_id: UUID, name: str, attributes: Mapping[str, Any]) -> None:
        try:
            record = RUNS.get(run_id)
            if record is not None:
                clean = {k: clean_attribute(to_jsonable(v)) for k, v in attributes.items()}
                record.span.add_event(name, clean)
        except Exception:
            log_internal_error(f"recording a LangChain {name} event")

    # --- chat models and LLMs -------------------------------------------------------

    @_guarded("starting a LangChain chat model span")
    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not self._begins(run_id):
            return
        name = _run_name(kwargs.get("name"), serialized, "chat_model")
        request = request_attributes(serialized, kwargs.get("invocation_params"), metadata, "chat")
        turns = [[message_to_dict(m) for m in turn] for turn in messages]
        shown = turns[0] if len(turns) == 1 else turns
        self._start(run_id, parent_run_id, name, attrs.SpanType.LLM, request, shown, tags, metadata)

    @_guarded("starting a LangChain LLM span")
    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not self._begins(run_id):
            return
        name = _run_name(kwargs.get("name"), serialized, "llm")
        request = request_attributes(
            serialized, kwargs.get("invocation_params"), metadata, "text_completion"
        )
        shown = prompts[0] if len(prompts) == 1 else list(prompts)
        self._start(run_id, parent_run_id, name, attrs.SpanType.LLM, request, shown, tags, metadata)

    @_guarded("recording a LangChain first token")
    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        record = RUNS.get(run_id)
        if record is None or record.first_token_ns is not None:
            return
        record.span.set_attribute(attrs.GEN_AI_REQUEST_STREAM, True)
        if not _generated(token, kwargs.get("chunk")):
            return  # a role, usage or finish chunk: no token yet
        record.first_token_ns = time.time_ns()
        seconds = (record.first_token_ns - record.start_ns) / 1e9
        record.span.set_attribute(attrs.GEN_AI_SERVER_TIME_TO_FIRST_TOKEN, seconds)

    @_guarded("ending a LangChain LLM span")
    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if RUNS.get(run_id) is None:
            RUNS.forget_skipped(run_id)
            return
        extra = {**response_attributes(response), **usage_attributes(response)}
        self._end(run_id, _llm_outputs(response), extra)

    @_guarded("ending a failed LangChain LLM span")
    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error, typed_error=True)

    # --- tools ----------------------------------------------------------------------

    @_guarded("starting a LangChain tool span")
    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not self._begins(run_id):
            return
        name = _run_name(kwargs.get("name"), serialized, "tool")
        extra: dict[str, Any] = {
            attrs.GEN_AI_OPERATION_NAME: "execute_tool",
            attrs.GEN_AI_TOOL_NAME: name,
        }
        if kwargs.get("tool_call_id"):
            extra[attrs.GEN_AI_TOOL_CALL_ID] = str(kwargs["tool_call_id"])
        shown = to_jsonable(inputs) if inputs is not None else input_str
        self._start(run_id, parent_run_id, name, attrs.SpanType.TOOL, extra, shown, tags, metadata)

    @_guarded("ending a LangChain tool span")
    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if not _is_tool_message(output):
            self._end(run_id, to_jsonable(output))
            return
        content = getattr(output, "content", None)
        # A tool error the tool handled (handle_tool_error) comes back as the message an
        # agent reads, with status "error": no exception, but the tool call failed.
        failure = str(content) if getattr(output, "status", None) == "error" else None
        self._end(run_id, to_jsonable(content), failure=failure)

    @_guarded("ending a failed LangChain tool span")
    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error, typed_error=True)

    # --- retrievers -----------------------------------------------------------------

    @_guarded("starting a LangChain retriever span")
    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not self._begins(run_id):
            return
        name = _run_name(kwargs.get("name"), serialized, "retriever")
        inputs = {"query": query}
        self._start(
            run_id, parent_run_id, name, attrs.SpanType.RETRIEVER, {}, inputs, tags, metadata
        )

    @_guarded("ending a LangChain retriever span")
    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, to_jsonable(list(documents)))

    @_guarded("ending a failed LangChain retriever span")
    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)


# Generated content a chat chunk can carry besides text (as the client integrations count
# a first token: text, tool calls, a refusal; reasoning where a provider streams it).
_GENERATED_KWARGS = ("reasoning_content", "refusal", "function_call", "tool_calls")


def _generated(token: Any, chunk: Any) -> bool:
    """Whether a streamed chunk carries generated content. Chat streams open with a
    chunk that only names the role (OpenAI) or the message (Anthropic's
    message_start), and end with finish and usage chunks: all with empty text."""
    if isinstance(token, str) and token:
        return True
    message = getattr(chunk, "message", None)
    if message is None:
        return False
    content = getattr(message, "content", None)
    if content and not isinstance(content, str):
        return True  # content blocks: thinking, tool input, images
    if getattr(message, "tool_call_chunks", None):
        return True
    extra = getattr(message, "additional_kwargs", None) or {}
    return any(extra.get(key) for key in _GENERATED_KWARGS)


def _is_placeholder(inputs: Any, kwargs: Mapping[str, Any]) -> bool:
    """The empty input a streamed run starts with: ``{"input": ""}`` passed with
    ``defers_inputs`` (an app's own ``invoke({"input": ""})`` is shown), or ``""`` in
    older versions. Checked by type first: ``==`` on a numpy array or a DataFrame
    compares element-wise and has no truth value."""
    if type(inputs) is dict and len(inputs) == 1 and "defers_inputs" in kwargs:
        inputs = inputs.get("input")
    return type(inputs) is str and inputs == ""


def _is_graph_control_flow(error: BaseException) -> bool:
    """LangGraph's ``GraphBubbleUp`` family (``interrupt()`` waiting for a human, a
    ``Command`` to the parent graph) travels through the runs as exceptions that the
    graph itself absorbs: the runs it passes through did not fail."""
    return any(
        cls.__name__ == "GraphBubbleUp" and cls.__module__.startswith("langgraph")
        for cls in type(error).__mro__
    )


def _record_control_flow(span: Any, error: BaseException) -> None:
    name = type(error).__name__
    if name in ("GraphInterrupt", "NodeInterrupt"):
        interrupts = error.args[0] if error.args else ()
        values = (
            [getattr(i, "value", i) for i in interrupts]
            if isinstance(interrupts, (list, tuple))
            else [interrupts]
        )
        span.add_event("interrupt", {"value": clean_attribute(to_jsonable(values))})
    else:
        span.add_event("graph_control_flow", {"type": name})


def _is_tool_message(value: Any) -> bool:
    return getattr(value, "type", None) == "tool" and hasattr(value, "tool_call_id")


def _llm_outputs(response: Any) -> Any:
    """The generated message (chat) or text (LLM); a list when several candidates."""
    outputs = []
    for candidates in getattr(response, "generations", None) or []:
        for generation in candidates:
            message = getattr(generation, "message", None)
            outputs.append(message_to_dict(message) if message is not None else generation.text)
    return outputs[0] if len(outputs) == 1 else outputs
