"""Read plain-string migration statements back into declarations, for cluster rendering.

Understood (``{db}`` placeholder as in the template style):

* ``CREATE TABLE IF NOT EXISTS {db}.t (cols, INDEX …) ENGINE = XMergeTree(…)
  [PARTITION BY …] [PRIMARY KEY …] [ORDER BY …] [TTL …] [SETTINGS k = v, …]``
  → ``Table``; sharded by ``cityHash64(TraceId)`` when it has a TraceId column,
  else by the hash of its ORDER BY key (rows that replace/aggregate together share
  a shard).
* ``CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.v TO {db}.t AS SELECT … FROM {db}.s …``
  (no JOIN) → ``MaterializedView``.
* ``ALTER TABLE {db}.t <action>`` → ``Alter`` (applied to the local and, for column
  changes, the Distributed table).

Anything else raises ``ClusterDDLError``: declare it with ``Table``/``MaterializedView``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .ddl_spec import TRACE_SHARDING, MaterializedView, Table

__all__ = ["Alter", "ClusterDDLError", "convert", "try_parse_table"]


class ClusterDDLError(ValueError):
    """A statement cannot be rendered for a cluster."""


@dataclass(frozen=True)
class Alter:
    table: str
    action: str

    @property
    def columns_only(self) -> bool:
        return bool(re.match(r"(?is)\s*(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b", self.action))


_DB_NAME = r"\{db\}\.`?(\w+)`?"
_CREATE_TABLE = re.compile(rf"(?is)^\s*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+{_DB_NAME}\s*\(")
_CREATE_VIEW = re.compile(
    rf"(?is)^\s*CREATE\s+MATERIALIZED\s+VIEW\s+IF\s+NOT\s+EXISTS\s+{_DB_NAME}\s+TO\s+{_DB_NAME}\s+AS\s+(.*)$"
)
_ALTER = re.compile(rf"(?is)^\s*ALTER\s+TABLE\s+{_DB_NAME}\s+(.*?)\s*;?\s*$")
_CLAUSES = ("PARTITION BY", "PRIMARY KEY", "ORDER BY", "SAMPLE BY", "TTL", "SETTINGS")


def convert(statement: str) -> Table | MaterializedView | Alter:
    table = try_parse_table(statement)
    if table is not None:
        return table
    match = _CREATE_VIEW.match(statement)
    if match:
        name, target, select = match.groups()
        if re.search(r"(?i)\bJOIN\b", select):
            raise ClusterDDLError(f"materialized view {name} joins tables; declare it explicitly")
        source = re.search(_DB_NAME, select.split("FROM", 1)[-1] if "FROM" in select else "")
        if not source:
            raise ClusterDDLError(f"materialized view {name}: no FROM {{db}}.table")
        select = select.replace(source.group(0), "{source}", 1)
        return MaterializedView(name, target, source.group(1), select.strip().rstrip(";"))
    match = _ALTER.match(statement)
    if match:
        return Alter(match.group(1), match.group(2))
    raise ClusterDDLError(
        "cannot render this statement for a cluster; declare it with ddl.Table / "
        f"ddl.MaterializedView: {statement.strip()[:80]!r}"
    )


def try_parse_table(statement: str) -> Table | None:
    """A ``Table`` for a plain CREATE TABLE template, None if it is something else."""
    match = _CREATE_TABLE.match(statement)
    if not match:
        return None
    name = match.group(1)
    close = _matching_paren(statement, match.end() - 1)
    items = _split_top(statement[match.end() : close], ",")
    rest = statement[close + 1 :].strip().rstrip(";")
    engine_match = re.match(r"(?is)ENGINE\s*=\s*", rest)
    if not engine_match:
        raise ClusterDDLError(f"table {name}: no ENGINE clause")
    clauses = _clauses(rest[engine_match.end() :])
    engine = clauses.pop("ENGINE").strip()
    if "SAMPLE BY" in clauses:
        raise ClusterDDLError(f"table {name}: SAMPLE BY is not supported; declare it explicitly")
    columns = tuple(i for i in items if not re.match(r"(?i)INDEX\s", i))
    indexes = tuple(i[len("INDEX") :].strip() for i in items if re.match(r"(?i)INDEX\s", i))
    settings = {}
    for pair in _split_top(clauses.get("SETTINGS", ""), ","):
        key, _, value = pair.partition("=")
        settings[key.strip()] = value.strip()
    order_by = clauses.get("ORDER BY", "tuple()")
    try:
        return Table(
            name=name,
            columns=columns,
            engine=engine,
            order_by=order_by,
            partition_by=clauses.get("PARTITION BY"),
            primary_key=clauses.get("PRIMARY KEY"),
            indexes=indexes,
            ttl=clauses.get("TTL"),
            settings=settings,
            shard_by=_default_sharding(columns, order_by),
        )
    except ValueError as exc:
        raise ClusterDDLError(str(exc)) from None


def _default_sharding(columns: tuple[str, ...], order_by: str) -> str:
    names = {c.split(None, 1)[0].strip("`") for c in columns}
    if "TraceId" in names:
        return TRACE_SHARDING
    key = order_by.strip()
    if key.startswith("(") and _matching_paren(key, 0) == len(key) - 1:
        key = key[1:-1]
    return "rand()" if key in ("", "tuple()") else f"cityHash64({key})"


def _unquoted(text: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, depth) of every character outside quotes, from ``start``: the
    parenthesis depth after the character (an opening one counts itself)."""
    depth, quote, i = 0, "", start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'`\"":
            quote = ch
        else:
            depth += (ch == "(") - (ch == ")")
            yield i, ch, depth
        i += 1


def _clauses(text: str) -> dict[str, str]:
    """Split ``XMergeTree(a) PARTITION BY … ORDER BY …`` at top-level clause keywords."""
    positions = []
    upper = text.upper()
    for i, ch, depth in _unquoted(text):
        if depth or ch in "()" or (i and text[i - 1].isalnum()):
            continue
        for kw in _CLAUSES:
            if upper.startswith(kw, i) and not upper[i + len(kw) : i + len(kw) + 1].isalnum():
                positions.append((i, kw))
                break
    out = {"ENGINE": text[: positions[0][0]] if positions else text}
    for n, (start, kw) in enumerate(positions):
        end = positions[n + 1][0] if n + 1 < len(positions) else len(text)
        out[kw] = text[start + len(kw) : end].strip()
    return out


def _split_top(text: str, sep: str) -> list[str]:
    parts, start = [], 0
    for i, ch, depth in _unquoted(text):
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _matching_paren(text: str, open_at: int) -> int:
    for i, ch, depth in _unquoted(text, open_at):
        if ch == ")" and depth == 0:
            return i
    raise ClusterDDLError("unbalanced parentheses in CREATE TABLE")
