"""The options of an LLM client integration, read by its wrappers on every call."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    log_inputs: bool = True
    log_outputs: bool = True


class Current:
    """The options in force for one integration; ``options`` is ``None`` while it is
    disabled. Swapped whole, never mutated, so readers need no lock."""

    __slots__ = ("options",)

    def __init__(self) -> None:
        self.options: Options | None = None
