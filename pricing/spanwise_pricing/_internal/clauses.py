"""Name-matching clauses, in the same shape as genai-prices' `match` rules.

A clause is a one-key mapping: ``{equals: s}``, ``{starts_with: s}``, ``{ends_with: s}``,
``{contains: s}``, ``{regex: r}``, ``{or: [clauses]}`` or ``{and: [clauses]}``. Text clauses
compare case-insensitively; model and provider refs are lower-cased before matching, so a
regex sees the lower-cased ref (as in genai-prices).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["CLAUSE_KINDS", "ClauseError", "compile_clause"]

CLAUSE_KINDS = ("equals", "starts_with", "ends_with", "contains", "regex", "or", "and")


class ClauseError(ValueError):
    """A malformed clause; ``path`` says where inside the clause."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


def compile_clause(clause: Any, path: str = "") -> Callable[[str], bool]:
    """Turn a clause mapping into a predicate on a lower-cased name."""
    if not isinstance(clause, Mapping) or len(clause) != 1:
        raise ClauseError(
            f"a match clause must be a mapping with exactly one of {', '.join(CLAUSE_KINDS)}", path
        )
    ((kind, arg),) = clause.items()
    here = f"{path}.{kind}" if path else str(kind)
    if kind in ("or", "and"):
        if not isinstance(arg, list) or not arg:
            raise ClauseError(f"'{kind}' needs a non-empty list of clauses", here)
        parts = tuple(compile_clause(c, f"{here}[{i}]") for i, c in enumerate(arg))
        if kind == "or":
            return lambda s: any(p(s) for p in parts)
        return lambda s: all(p(s) for p in parts)
    if kind not in CLAUSE_KINDS:
        raise ClauseError(
            f"unknown clause '{kind}'; expected one of {', '.join(CLAUSE_KINDS)}", path
        )
    if not isinstance(arg, str) or not arg:
        raise ClauseError(f"'{kind}' needs a non-empty string", here)
    if kind == "regex":
        try:
            rx = re.compile(arg)
        except re.error as exc:
            raise ClauseError(f"invalid regex {arg!r}: {exc}", here) from None
        return lambda s: rx.search(s) is not None
    text = arg.lower()
    if kind == "equals":
        return lambda s: s == text
    if kind == "starts_with":
        return lambda s: s.startswith(text)
    if kind == "ends_with":
        return lambda s: s.endswith(text)
    return lambda s: text in s
