"""``messages.stream(...)``: the client's helper returns a manager that sends the
request itself when entered (not through ``create``), so its span starts at
``__enter__`` and ends at ``__exit__`` with the message the helper assembled
(its public ``current_message_snapshot``). No per-event work of ours; the time to
first token is only recorded for ``create(stream=True)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import wrapt

from ...errors import log_internal_error
from ...fastcontext import attach_span, detach
from ..llm_client.operation import Operation
from ..llm_client.settings import Current
from ..llm_client.streams import StreamRecorder, block_error
from ..llm_client.wrappers import Provider, Wrapper, fail, in_call, reset_call, start_span


class _Snapshot:
    """The "accumulator" of a helper's stream: the helper assembles the message itself;
    at the end its public ``current_message_snapshot`` is read once."""

    __slots__ = ("op", "stream")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.stream: Any = None

    def finish(self, out: dict[str, Any]) -> Any:
        try:
            message = self.stream.current_message_snapshot
        except Exception:  # nothing arrived (left before the first event)
            return None
        return self.op.response(message, out)


class _ManagerProxy(wrapt.ObjectProxy):
    """The helper's manager; its span ends through a `StreamRecorder`, exactly once."""

    def __init__(
        self,
        manager: Any,
        op: Operation,
        instance: Any,
        kwargs: Mapping[str, Any],
        current: Current,
        provider: Provider,
    ) -> None:
        wrapt.ObjectProxy.__init__(self, manager)
        self._self_call = (op, instance, {**kwargs, "stream": True}, current, provider)
        self._self_recorder: StreamRecorder | None = None

    def _start(self) -> tuple[Any, Any]:
        op, current = self._self_call[0], self._self_call[3]
        span = start_span(*self._self_call)
        if span is None:
            return None, None
        self._self_recorder = StreamRecorder(span, _Snapshot(op), current)
        return attach_span(span), in_call()

    def _leave(self, tokens: tuple[Any, Any]) -> None:
        context, call = tokens
        if call is not None:
            reset_call(call)
        if context is not None:
            detach(context)

    def _entered(self, tokens: tuple[Any, Any], stream: Any) -> Any:
        self._leave(tokens)
        if self._self_recorder is not None:
            self._self_recorder.acc.stream = stream
        return stream

    def _failed(self, tokens: tuple[Any, Any], exc: BaseException) -> None:
        self._leave(tokens)
        recorder, self._self_recorder = self._self_recorder, None
        if recorder is not None:
            fail(recorder.span, exc)  # the request itself failed: as for create()

    def _finish(self, exc: BaseException | None) -> None:
        if self._self_recorder is not None:
            self._self_recorder.finish(exc)  # a second call is a no-op

    def __del__(self) -> None:
        try:
            self._finish(None)
        except AttributeError:  # __init__ never completed
            pass


class SyncManagerProxy(_ManagerProxy):
    def __enter__(self) -> Any:
        tokens = self._start()
        try:
            stream = self.__wrapped__.__enter__()
        except BaseException as exc:
            self._failed(tokens, exc)
            raise
        return self._entered(tokens, stream)

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._finish(block_error(exc_info[1]))


class AsyncManagerProxy(_ManagerProxy):
    async def __aenter__(self) -> Any:
        tokens = self._start()
        try:
            stream = await self.__wrapped__.__aenter__()
        except BaseException as exc:
            self._failed(tokens, exc)
            raise
        return self._entered(tokens, stream)

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._finish(block_error(exc_info[1]))


def stream_manager(op: Operation, is_async: bool, current: Current, provider: Provider) -> Wrapper:
    proxy = AsyncManagerProxy if is_async else SyncManagerProxy

    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        manager = wrapped(*args, **kwargs)
        if current.options is None:
            return manager
        try:
            return proxy(manager, op, instance, kwargs, current, provider)
        except Exception:
            log_internal_error("wrapping an Anthropic stream helper")
            return manager

    return wrapper
