"""LangChain and LangGraph tracing.

    import spanwise.langchain

    spanwise.langchain.autolog()   # every chain, chat model, tool, retriever, graph node

or, per call: ``chain.invoke(x, config={"callbacks": [SpanwiseCallbackHandler()]})``.
Needs ``langchain-core`` (``pip install spanwise[langchain]``).
"""

from __future__ import annotations

from .._internal.errors import log_internal_error
from .._internal.integrations.langchain import autolog as _autolog
from .._internal.integrations.langchain.handler import SpanwiseCallbackHandler

__all__ = ["SpanwiseCallbackHandler", "autolog"]


def autolog(disable: bool = False, log_inputs: bool = True, log_outputs: bool = True) -> None:
    """Trace every LangChain / LangGraph run in this process as nested spans.

    Chains and runnables become CHAIN spans, chat models and LLMs LLM spans (model,
    parameters, messages, token usage), tools TOOL spans, retrievers RETRIEVER spans,
    LangGraph graphs AGENT spans and their nodes CHAIN spans. Calling it again
    updates the options; ``disable=True`` stops tracing.
    """
    try:
        _autolog.autolog(disable=disable, log_inputs=log_inputs, log_outputs=log_outputs)
    except Exception:
        log_internal_error("enabling LangChain autolog")
