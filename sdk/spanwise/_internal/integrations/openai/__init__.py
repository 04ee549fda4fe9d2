"""OpenAI integration: spans for every call through the official ``openai`` client.

Importing this package does not import ``openai``; ``autolog()`` does.
"""

from __future__ import annotations

from typing import Any

from . import request
from .patch import PATCHER

_autolog, is_enabled = PATCHER.public_api(
    "every OpenAI call (sync, async, streams, Responses API, embeddings)"
)


def autolog(
    disable: bool = False,
    log_inputs: bool = True,
    log_outputs: bool = True,
    stream_usage: Any = "auto",
) -> None:
    """Trace every OpenAI call (sync, async, streams, Responses API, embeddings).

    Idempotent: calling it again only changes the options. ``disable=True`` removes
    every patch.

    ``stream_usage``: a streamed chat completion reports its token usage only when asked
    (``stream_options={"include_usage": True}``); without it the call cannot be priced.
    ``"auto"`` asks on OpenAI's own API when the caller did not, ``True`` on any server
    (for OpenAI-compatible servers that accept it: vLLM, LiteLLM, …), ``False`` never.
    The extra usage-only chunk this adds is not passed to the caller.
    """
    if not (stream_usage == "auto" or isinstance(stream_usage, bool)):
        raise ValueError(f"stream_usage must be 'auto', True or False, got {stream_usage!r}")
    request.STREAM_USAGE = stream_usage
    _autolog(disable, log_inputs, log_outputs)


autolog.__qualname__ = "autolog"

__all__ = ["autolog", "is_enabled"]
