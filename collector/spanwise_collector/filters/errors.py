"""Errors raised for bad filter strings, order-by items and page tokens."""

from __future__ import annotations

__all__ = ["FilterError", "InvalidPageToken"]


class FilterError(ValueError):
    """A filter, order-by item or page token the user must fix.

    `position` is a 0-based character offset into the text (None when the problem is
    not tied to one place, e.g. an AST built in code); `expected` lists what would
    have been accepted there. The HTTP layer maps this to a 400 with these fields.
    """

    def __init__(
        self,
        message: str,
        position: int | None = None,
        expected: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.message = message
        self.position = position
        self.expected = tuple(expected)
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"at position {self.position}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for API error bodies."""
        return {
            "error": str(self),
            "message": self.message,
            "position": self.position,
            "expected": list(self.expected),
        }


class InvalidPageToken(FilterError):
    """A page token that is not one we issued for this query (garbled, edited, stale)."""
