"""The options of the OpenAI integration in force, read by the wrappers on every call."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    log_inputs: bool = True
    log_outputs: bool = True


class _Current:
    """``options`` is ``None`` while the integration is disabled. Swapped whole, never
    mutated, so readers need no lock."""

    __slots__ = ("options",)

    def __init__(self) -> None:
        self.options: Options | None = None


CURRENT = _Current()
