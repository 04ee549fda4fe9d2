"""Amazon Bedrock integration: spans for ``converse``/``converse_stream`` of boto3's
``bedrock-runtime`` clients.

Importing this package does not import ``botocore``; ``autolog()`` does.
"""

from __future__ import annotations

from .patch import PATCHER


def autolog(disable: bool = False, log_inputs: bool = True, log_outputs: bool = True) -> None:
    """Trace every Converse API call (``converse``, ``converse_stream``) of the
    ``bedrock-runtime`` clients created from now on.

    Idempotent: calling it again only changes ``log_inputs``/``log_outputs``.
    ``disable=True`` stops tracing (clients already made pass calls straight through).
    """
    PATCHER.autolog(disable, log_inputs, log_outputs)


def is_enabled() -> bool:
    return PATCHER.is_enabled()


__all__ = ["autolog", "is_enabled"]
