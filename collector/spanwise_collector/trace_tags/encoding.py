"""How an edited tag rides in ``trace_summary.Tags``, whose partial rows merge by
``maxMap`` (the greatest value per key wins).

An edit's value is ``MARK + version (16 hex digits) + op + value``, op ``=`` (set) or
``-`` (removed). ``MARK`` is U+10FFFF, the greatest code point: its UTF-8 bytes
(F4 8F BF BF) sort after the first bytes of any tag a span can set, so an edit beats
the spans' tags, and the fixed-width version makes a newer edit beat an older one.
Every reader of the summary reads the merged map as `TAGS_SQL`: marked
values lose their prefix, removed keys go. Without edits the map is unchanged.
"""

from __future__ import annotations

__all__ = ["MARK", "TAGS_SQL", "encode"]

MARK = "\U0010ffff"
_MARK_SQL = "char(244, 143, 191, 191)"  # MARK's UTF-8 bytes; no quotes in generated SQL
_HEADER = 4 + 16 + 1  # marker bytes, version digits, op


def encode(version: int, value: str | None) -> str:
    """The summary's value for a tag set to ``value`` (``None``: removed) at ``version``."""
    op = "-" if value is None else "="
    return f"{MARK}{version:016x}{op}{value or ''}"


def _decoded_tags_sql(merged: str) -> str:
    """SQL of the effective tags from ``merged`` (e.g. ``maxMap(Tags)``)."""
    marked = f"startsWith(v, {_MARK_SQL})"
    return (
        f"mapApply((k, v) -> (k, if({marked}, substring(v, {_HEADER + 1}), v)), "
        f"mapFilter((k, v) -> NOT ({marked} AND substring(v, {_HEADER}, 1) = char(45)), "
        f"{merged}))"
    )


# A trace's effective tags over its summary rows (an aggregate: for GROUP BY TraceId).
TAGS_SQL = _decoded_tags_sql("maxMap(Tags)")
