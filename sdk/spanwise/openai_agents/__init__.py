"""``spanwise.openai_agents.autolog()``: trace every OpenAI Agents SDK run.

    import spanwise.openai_agents
    spanwise.openai_agents.autolog()
    spanwise.openai.autolog()  # the model calls, priced, under their agents

The workflow becomes an AGENT span (its session id the SDK's ``group_id``), each agent
an AGENT span with the input it was given and its answer, each tool call a TOOL span,
handoffs and guardrails CHAIN spans; your ``@spanwise.trace`` functions used as tools
nest under their tool call. ``autolog(disable=True)`` turns it off.
"""

from __future__ import annotations

from .._internal.integrations.openai_agents import autolog, is_enabled

__all__ = ["autolog", "is_enabled"]
