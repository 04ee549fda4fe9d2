"""Amazon Bedrock integration: spans for ``converse``/``converse_stream`` of boto3's
``bedrock-runtime`` clients.

Importing this package does not import ``botocore``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER

autolog, is_enabled = PATCHER.public_api(
    (
        "every Converse API call (``converse``, ``converse_stream``) and InvokeModel call "
        "(``invoke_model``, ``invoke_model_with_response_stream``) of the ``bedrock-runtime`` "
        "clients created from now on"
    ),
    "stops tracing (clients already made pass calls straight through)",
)

__all__ = ["autolog", "is_enabled"]
