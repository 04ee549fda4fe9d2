"""What we patch, as data: public methods of ``openai.resources.*``.

A target missing from the installed client (``beta`` paths of older versions,
``parse`` before it existed) is skipped, so one table serves every openai >= 1.40.
"""

from __future__ import annotations

from dataclasses import dataclass

from .operations import CHAT, EMBEDDINGS, RESPONSES, Operation


@dataclass(frozen=True)
class Target:
    module: str
    path: str  # "Class.method"
    operation: Operation | None  # None: a .stream() helper (its create call makes the span)
    is_async: bool


def _pair(module: str, cls: str, method: str, operation: Operation | None) -> tuple[Target, ...]:
    return (
        Target(module, f"{cls}.{method}", operation, False),
        Target(module, f"Async{cls}.{method}", operation, True),
    )


_CHAT = "openai.resources.chat.completions"
_BETA_CHAT = "openai.resources.beta.chat.completions"  # parse/stream before openai 1.92
_RESPONSES = "openai.resources.responses"
_EMBEDDINGS = "openai.resources.embeddings"

TARGETS: tuple[Target, ...] = (
    *_pair(_CHAT, "Completions", "create", CHAT),
    *_pair(_CHAT, "Completions", "parse", CHAT),
    *_pair(_CHAT, "Completions", "stream", None),
    *_pair(_BETA_CHAT, "Completions", "parse", CHAT),
    *_pair(_BETA_CHAT, "Completions", "stream", None),
    *_pair(_RESPONSES, "Responses", "create", RESPONSES),
    *_pair(_RESPONSES, "Responses", "parse", RESPONSES),
    *_pair(_RESPONSES, "Responses", "stream", None),
    *_pair(_EMBEDDINGS, "Embeddings", "create", EMBEDDINGS),
)
