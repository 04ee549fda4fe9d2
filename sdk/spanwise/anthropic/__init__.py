"""``spanwise.anthropic.autolog()``: trace every call made through the ``anthropic`` client.

    import spanwise.anthropic
    spanwise.anthropic.autolog()

Each Messages API call becomes a span of type LLM with OpenTelemetry GenAI attributes
(model, tokens with cache reads and writes, stop reason, time to first token when
streaming), nested under the current span and priced by the collector.
``autolog(disable=True)`` removes the instrumentation.
"""

from __future__ import annotations

from .._internal.integrations.anthropic import autolog, is_enabled

__all__ = ["autolog", "is_enabled"]
