"""OpenAI Agents SDK integration: its traces and spans as Spanwise spans.

Importing this package does not import ``agents``; ``autolog()`` does.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..llm_client.settings import Current, Options

logger = logging.getLogger("spanwise")

CURRENT = Current()
_LOCK = threading.Lock()
_PROCESSOR: list[Any] = []  # the one processor added to the SDK, once


def autolog(disable: bool = False, log_inputs: bool = True, log_outputs: bool = True) -> None:
    """Trace every OpenAI Agents SDK run: the workflow, agents, tool calls, handoffs,
    guardrails, and each model call (with ``spanwise.openai.autolog()`` on, the OpenAI
    client's own call is that span).

    Adds a tracing processor to the SDK next to its own (``agents.add_trace_processor``);
    idempotent, and ``disable=True`` makes it inert (the SDK cannot remove one).
    """
    if disable:
        CURRENT.options = None
        return
    with _LOCK:
        if not _PROCESSOR or not _still_registered(_PROCESSOR[0]):
            try:
                import agents
            except ImportError:
                logger.warning(
                    "spanwise: openai-agents is not installed; pip install 'spanwise[openai-agents]'"
                )
                return
            add = getattr(agents, "add_trace_processor", None)
            if add is None:  # another package named "agents"
                logger.warning("spanwise: this 'agents' module is not the OpenAI Agents SDK")
                return
            if not _PROCESSOR:
                from .processor import SpanwiseProcessor

                _PROCESSOR.append(SpanwiseProcessor(CURRENT))
            add(_PROCESSOR[0])
        CURRENT.options = Options(log_inputs=bool(log_inputs), log_outputs=bool(log_outputs))


def _still_registered(processor: Any) -> bool:
    """Whether the SDK still holds our processor: ``agents.set_trace_processors`` replaces
    them all, and a later ``autolog()`` should add it back. Read from the SDK's provider
    where it shows its list; assumed otherwise (adding twice would trace twice)."""
    try:
        from agents.tracing import get_trace_provider

        multi = getattr(get_trace_provider(), "_multi_processor", None)
        processors = getattr(multi, "_processors", None)
    except Exception:
        return True
    return processor in processors if isinstance(processors, tuple) else True


def is_enabled() -> bool:
    return CURRENT.options is not None


__all__ = ["autolog", "is_enabled"]
