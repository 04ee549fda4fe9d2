"""``spanwise.bedrock.autolog()``: trace Amazon Bedrock's Converse API through boto3.

    import spanwise.bedrock
    spanwise.bedrock.autolog()
    client = boto3.client("bedrock-runtime")  # clients created after autolog()

Each ``converse``/``converse_stream`` call becomes a span of type LLM with OpenTelemetry
GenAI attributes (``gen_ai.provider.name`` ``aws.bedrock``, the model id, tokens with
cache reads and writes, stop reason, time to first token when streaming), nested under
the current span and priced by the collector from Bedrock's price list.
``autolog(disable=True)`` turns it off.
"""

from __future__ import annotations

from .._internal.integrations.bedrock import autolog, is_enabled

__all__ = ["autolog", "is_enabled"]
