"""``spanwise.mistral.autolog()``: trace every call made through the ``mistralai`` client.

    import spanwise.mistral
    spanwise.mistral.autolog()

Each chat call (``complete``, ``stream``, async twins) becomes a span of type LLM and
each embeddings request one of type EMBEDDING, with OpenTelemetry GenAI attributes
(``gen_ai.provider.name`` ``mistral_ai``), nested under the current span and priced
by the collector. ``autolog(disable=True)`` removes the instrumentation.
"""

from __future__ import annotations

from .._internal.integrations.mistral import autolog, is_enabled

__all__ = ["autolog", "is_enabled"]
