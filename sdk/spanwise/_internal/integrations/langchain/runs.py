"""LangChain run id → span bookkeeping, shared by every handler instance.

Parents come from LangChain's ``parent_run_id``; children are started with the
parent span's context explicitly, so runs executed in thread pools or with
``asyncio.gather`` keep their parents whatever the ambient context is. A run
without a known parent (the top-level run) nests under the ambient OTel span,
e.g. an active ``@spanwise.trace`` span.

While a run executes, the ambient OTel context holds a ``RunView`` of its span,
so spans of code the run calls (``spanwise.openai.autolog()``, ``@spanwise.trace``
inside a tool) nest under it. Callbacks cannot always undo that attachment:
``batch`` ends runs out of order, and async end callbacks run in a copied
context (langchain-core shields them in a new task). So a view becomes
transparent once its run ends — it then stands for the span that was current
before it — and is detached whenever the end happens in the context that
attached it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.trace import Span


class RunView(Span):
    """The ambient-context stand-in for a run's span (see the module docstring)."""

    def __init__(self, span: Span, previous: Span, run_id: UUID) -> None:
        self.span = span
        self.run_id = run_id
        self.ended = False
        self.token: object | None = None
        # Skip views that already ended, so chains of stale views cannot grow.
        while isinstance(previous, RunView) and previous.ended:
            previous = previous.previous
        self.previous = previous

    def target(self) -> Span:
        view: Span = self
        while isinstance(view, RunView):
            view = view.previous if view.ended else view.span
        return view

    def get_span_context(self) -> trace_api.SpanContext:
        return self.target().get_span_context()

    def is_recording(self) -> bool:
        return self.target().is_recording()

    def set_attributes(self, attributes: Any) -> None:
        self.target().set_attributes(attributes)

    def set_attribute(self, key: str, value: Any) -> None:
        self.target().set_attribute(key, value)

    def add_event(self, name: str, attributes: Any = None, timestamp: int | None = None) -> None:
        self.target().add_event(name, attributes, timestamp)

    def update_name(self, name: str) -> None:
        self.target().update_name(name)

    def set_status(self, status: Any, description: str | None = None) -> None:
        self.target().set_status(status, description)

    def record_exception(self, exception: BaseException, *args: Any, **kwargs: Any) -> None:
        self.target().record_exception(exception, *args, **kwargs)

    def end(self, end_time: int | None = None) -> None:
        pass  # the handler ends the run's span when LangChain reports the end


def real_span(span: Span) -> Span:
    return span.target() if isinstance(span, RunView) else span


@dataclass(eq=False)
class RunRecord:
    span: Span
    context: context_api.Context  # for children: the parent set explicitly
    view: RunView
    start_ns: int
    first_token_ns: int | None = None
    parent_run_id: UUID | None = None  # the nearest recorded ancestor run
    unwatch: Callable[[], None] | None = None  # see task_watch


class RunSpans:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[UUID, RunRecord] = {}
        self._skipped: dict[UUID, UUID | None] = {}  # hidden run → its parent run
        self._span_ids: set[int] = set()  # spans of open runs

    def __contains__(self, run_id: UUID) -> bool:
        return run_id in self._runs

    def __len__(self) -> int:
        return len(self._runs)

    def get(self, run_id: UUID) -> RunRecord | None:
        return self._runs.get(run_id)

    def skip(self, run_id: UUID, parent_run_id: UUID | None) -> None:
        """Record no span for this run; its children attach to its parent."""
        with self._lock:
            self._skipped[run_id] = parent_run_id

    def is_skipped(self, run_id: UUID) -> bool:
        return run_id in self._skipped

    def forget_skipped(self, run_id: UUID) -> None:
        with self._lock:
            self._skipped.pop(run_id, None)

    def _recorded_parent(self, parent_run_id: UUID | None) -> UUID | None:
        run_id = parent_run_id
        while run_id is not None and run_id in self._skipped:
            run_id = self._skipped.get(run_id)
        return run_id

    def open_children(self, run_id: UUID) -> list[UUID]:
        """Runs still open whose nearest recorded ancestor is ``run_id``."""
        with self._lock:
            return [child for child, r in self._runs.items() if r.parent_run_id == run_id]

    def parent_context(self, parent_run_id: UUID | None) -> context_api.Context:
        run_id = self._recorded_parent(parent_run_id)
        parent = self._runs.get(run_id) if run_id is not None else None
        ambient = context_api.get_current()
        current = trace_api.get_current_span(ambient)
        if parent is None:
            return trace_api.set_span_in_context(_outside_sibling_runs(current), ambient)
        if self._nested_foreign_span(current, parent):
            return ambient
        return parent.context

    def _nested_foreign_span(self, span: Span, parent: RunRecord) -> bool:
        """True when the ambient span is not ours and was opened inside ``parent``'s run
        (``@spanwise.trace`` in a tool that calls a chat model): it goes in between."""
        span = real_span(span)
        if not span.is_recording():
            return False
        ctx = span.get_span_context()
        if ctx.trace_id != parent.span.get_span_context().trace_id:
            return False
        if ctx.span_id in self._span_ids:
            return False
        start = getattr(span, "start_time", None)
        return isinstance(start, int) and start >= parent.start_ns

    def start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        name: str,
        attributes: dict[str, Any],
        tracer: trace_api.Tracer,
    ) -> RunRecord:
        parent_ctx = self.parent_context(parent_run_id)
        start_ns = time.time_ns()
        span = tracer.start_span(
            name, context=parent_ctx, attributes=attributes, start_time=start_ns
        )
        view = RunView(span, trace_api.get_current_span(), run_id)
        view.token = context_api.attach(trace_api.set_span_in_context(view))
        record = RunRecord(
            span,
            trace_api.set_span_in_context(span, parent_ctx),
            view,
            start_ns,
            parent_run_id=self._recorded_parent(parent_run_id),
        )
        with self._lock:
            self._runs[run_id] = record
            self._span_ids.add(span.get_span_context().span_id)
        return record

    def pop(self, run_id: UUID) -> RunRecord | None:
        with self._lock:
            record = self._runs.pop(run_id, None)
            if record is not None:
                self._span_ids.discard(record.span.get_span_context().span_id)
            return record


def _outside_sibling_runs(current: Span) -> Span:
    """The ambient parent for a run LangChain gives no parent.

    ``RunnableSequence.batch`` starts all its top-level runs in the caller's context,
    one after the other: the view of run 1 is then current when run 2 starts, but
    run 2 is its sibling. A run really started inside run 1's body sees run 1 as the
    parent of LangChain's child config (set in the context the body runs in).
    """
    from langchain_core.runnables.config import var_child_runnable_config

    config = var_child_runnable_config.get() or {}
    callbacks = config.get("callbacks")
    inside = getattr(callbacks, "parent_run_id", None)
    while isinstance(current, RunView) and not current.ended and current.run_id != inside:
        current = current.previous
    return current


def detach_ended(record: RunRecord) -> None:
    """Mark the run's view ended and pop ended views off the current context."""
    record.view.ended = True
    while True:
        current = trace_api.get_current_span()
        if not isinstance(current, RunView) or not current.ended or current.token is None:
            return
        reset = getattr(getattr(current.token, "var", None), "reset", None)
        if reset is None:  # not a contextvars token: some custom OTel runtime context
            token, current.token = current.token, None
            context_api.detach(token)  # type: ignore[arg-type]
            continue
        try:
            reset(current.token)
        except (ValueError, RuntimeError):
            return  # attached in another context: it stays there, transparent
        current.token = None
