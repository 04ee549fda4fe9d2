"""Filter text for the UI's links to a list of traces (a tag's, a feedback's, a prompt's),
written through the filter language's own AST: any key or value, backquotes, quotes and
backslashes included, reads back as itself."""

from __future__ import annotations

from ..filters import Comparison, FieldRef, IsNull

__all__ = ["has_feedback", "has_tag", "tag_is"]


def tag_is(key: str, value: str) -> str:
    return str(Comparison(FieldRef("tags", key), "=", value))


def has_tag(key: str) -> str:
    return str(Comparison(FieldRef("tags", key), "!=", ""))


def has_feedback(name: str) -> str:
    return str(IsNull(FieldRef("feedback", name), negated=True))
