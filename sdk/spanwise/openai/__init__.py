"""``spanwise.openai.autolog()``: trace every call made through the ``openai`` client.

    import spanwise.openai
    spanwise.openai.autolog()

Each chat completion, Responses API call and embedding request becomes a span of
type LLM (EMBEDDING) with OpenTelemetry GenAI attributes, nested under the current
span. ``autolog(disable=True)`` removes the instrumentation.
"""

from __future__ import annotations

from .._internal.integrations.openai import autolog, is_enabled

__all__ = ["autolog", "is_enabled"]
