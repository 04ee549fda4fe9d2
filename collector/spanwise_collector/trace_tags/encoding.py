"""How tags and metadata ride in ``trace_summary.Tags``/``Metadata``, whose partial rows
merge by ``maxMap`` (the greatest value per key wins).

* A tag edited after the fact: ``MARK + version (16 hex digits) + op + value``, op ``=``
  (set) or ``-`` (removed). ``MARK`` is U+10FFFF, the greatest code point: its UTF-8
  bytes (F4 8F BF BF) sort after anything else, so an edit beats what spans set, and
  the fixed-width version makes a newer edit beat an older one.
* A tag or metadata key a span set: ``WRITE_MARK + time (16 hex digits) + value``,
  ``WRITE_MARK`` U+10FFFE (F4 8F BF BE), the time the SDK's ``update_current_trace``
  wrote that key (else the span's end), stamped by the collector at ingest
  (``pipeline/normalize.py``) on the spans' ``TraceTags``/``TraceMetadata``: the latest
  write of a key wins across spans, as in MLflow and Langfuse, not the greatest value.
  Spans stored before stamping hold plain values, which any stamped one beats.

Every reader of the summary reads the merged maps as `TAGS_SQL` / `METADATA_SQL`:
marked values lose their prefix, removed keys go.
"""

from __future__ import annotations

__all__ = ["MARK", "METADATA_SQL", "TAGS_SQL", "encode", "stamp", "unstamp"]

MARK = "\U0010ffff"
_MARK_SQL = "char(244, 143, 191, 191)"  # MARK's UTF-8 bytes; no quotes in generated SQL
_HEADER = 4 + 16 + 1  # marker bytes, version digits, op
WRITE_MARK = "\U0010fffe"
_WRITE_MARK_SQL = "char(244, 143, 191, 190)"  # WRITE_MARK's UTF-8 bytes
_WRITE_HEADER = 4 + 16  # marker bytes, time digits


def encode(version: int, value: str | None) -> str:
    """The summary's value for a tag set to ``value`` (``None``: removed) at ``version``."""
    op = "-" if value is None else "="
    return f"{MARK}{version:016x}{op}{value or ''}"


def stamp(written_ns: int, value: str) -> str:
    """A span's tag/metadata value with the time it was written."""
    return f"{WRITE_MARK}{written_ns:016x}{value}"


def unstamp(value: str) -> tuple[int, str]:
    """(time written, value) of a stamped value; (-1, value) for a plain one."""
    if value.startswith(WRITE_MARK) and len(value) >= 17:
        try:
            return int(value[1:17], 16), value[17:]
        except ValueError:
            pass
    return -1, value


def _unwritten(value: str) -> str:
    """``value`` without a span write's prefix."""
    return (
        f"if(startsWith({value}, {_WRITE_MARK_SQL}), substring({value}, {_WRITE_HEADER + 1}), "
        f"{value})"
    )


def _decoded_tags_sql(merged: str) -> str:
    """SQL of the effective tags from ``merged`` (e.g. ``maxMap(Tags)``)."""
    marked = f"startsWith(v, {_MARK_SQL})"
    return (
        f"mapApply((k, v) -> (k, if({marked}, substring(v, {_HEADER + 1}), {_unwritten('v')})), "
        f"mapFilter((k, v) -> NOT ({marked} AND substring(v, {_HEADER}, 1) = char(45)), "
        f"{merged}))"
    )


# A trace's effective tags / metadata over its summary rows (aggregates: GROUP BY TraceId).
TAGS_SQL = _decoded_tags_sql("maxMap(Tags)")
METADATA_SQL = f"mapApply((k, v) -> (k, {_unwritten('v')}), maxMap(Metadata))"
