"""``spanwise.gemini.autolog()``: trace every call made through Google's ``google-genai``
client (the Gemini API and Vertex AI).

    import spanwise.gemini
    spanwise.gemini.autolog()

Each ``generate_content`` call becomes a span of type LLM with OpenTelemetry GenAI
attributes (model, tokens with cached and thinking tokens, finish reasons, time to
first token when streaming), nested under the current span and priced by the
collector. A call that sent several model requests (automatic function calling)
becomes a CHAIN span with one LLM span per request, each priced on its own.
``autolog(disable=True)`` removes the instrumentation.
"""

from __future__ import annotations

from .._internal.integrations.gemini import autolog, is_enabled

__all__ = ["autolog", "is_enabled"]
