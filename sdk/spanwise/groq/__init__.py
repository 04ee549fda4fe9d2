"""``spanwise.groq.autolog()``: trace every chat completion made through the ``groq`` client.

    import spanwise.groq
    spanwise.groq.autolog()

Each ``client.chat.completions.create`` (sync, async, ``stream=True``) becomes a span of
type LLM with OpenTelemetry GenAI attributes (``gen_ai.provider.name`` ``groq``), nested
under the current span and priced by the collector from Groq's price list.
``autolog(disable=True)`` removes the instrumentation.
"""

from __future__ import annotations

from .._internal.integrations.groq import autolog, is_enabled

__all__ = ["autolog", "is_enabled"]
