"""Global registration of the handler through langchain-core's configure hook.

langchain-core consults every registered ``ContextVar`` whenever it builds a
callback manager and adds the handler it holds, as an inheritable handler, to
every run. The variable's *default* is the one process-wide handler, so every
thread and task sees it (a ``set()`` would only reach the current context);
``disable`` switches that handler off. The hook is registered once per process,
so calling ``autolog()`` again never adds a second handler.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar

from .handler import SpanwiseCallbackHandler

_lock = threading.Lock()
_handler: SpanwiseCallbackHandler | None = None
_var: ContextVar[SpanwiseCallbackHandler | None] | None = None


def autolog(disable: bool = False, log_inputs: bool = True, log_outputs: bool = True) -> None:
    global _handler, _var
    with _lock:
        if _handler is None:
            if disable:
                return
            from langchain_core.tracers.context import register_configure_hook

            _handler = SpanwiseCallbackHandler(log_inputs=log_inputs, log_outputs=log_outputs)
            _var = ContextVar("spanwise_langchain_handler", default=_handler)
            # handle_class: a run that already has a SpanwiseCallbackHandler (passed
            # explicitly in callbacks=[...]) does not get a second one.
            register_configure_hook(_var, True, SpanwiseCallbackHandler)
        _handler.log_inputs = log_inputs
        _handler.log_outputs = log_outputs
        _handler.enabled = not disable


def is_enabled() -> bool:
    return _handler is not None and _handler.enabled
