"""Sections of the markdown report, and RESULTS.md itself."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TRAILING", "Section", "Table", "fmt", "machine_info", "write_results"]

TRAILING = "Not measured yet"  # always last


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def markdown(self) -> str:
        head = "| " + " | ".join(self.columns) + " |"
        sep = "|" + "|".join("---" for _ in self.columns) + "|"
        body = ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join([head, sep, *body])


@dataclass(frozen=True)
class Section:
    title: str
    intro: str
    tables: tuple[tuple[str, Table], ...]  # (caption, table)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def markdown(self) -> str:
        parts = [f"## {self.title}", "", self.intro, ""]
        for caption, table in self.tables:
            if caption:
                parts += [f"**{caption}**", ""]
            parts += [table.markdown(), ""]
        parts += [f"- {n}" for n in self.notes]
        return "\n".join(parts).rstrip() + "\n"


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def machine_info() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(
            next(
                ln
                for ln in Path("/proc/meminfo").read_text().splitlines()
                if ln.startswith("MemTotal")
            ).split()[1]
        )
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        mem = "?"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "?"
    return [
        f"- Date: {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; commit `{commit}`",
        f"- Machine: {cpu}, {os.cpu_count()} cores (shared with other work), {mem} RAM; {platform.platform()}",
        f"- Python {platform.python_version()}",
    ]


def _sections(text: str) -> list[tuple[str, str]]:
    """(title, markdown) of each ``## `` section of an earlier RESULTS.md."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            out.append((line[3:].strip(), [line]))
        elif out:
            out[-1][1].append(line)
    return [(title, "\n".join(lines).rstrip() + "\n") for title, lines in out]


def _key(title: str) -> str:
    """A numbered section is known by its number ("1."), so a retitled one replaces the old."""
    head = title.split(" ", 1)[0]
    return head if head[:1].isdigit() and head.endswith(".") else title


def write_results(
    path: Path,
    header: Sequence[str],
    sections: Sequence[Section],
    merge: bool = True,
    stamp: str = "",
) -> None:
    """Write the report. With ``merge``, sections of an earlier report that this run did
    not measure are kept (in their place), so `--only` runs add up to one report; each
    section measured now ends with ``stamp`` (date, commit, mode, load), so a kept one
    still says which run it comes from."""
    ending = f"\n_{stamp}_\n" if stamp else ""
    new = {
        _key(s.title): (
            s.title,
            s.markdown().rstrip() + "\n" + (ending if s.title != TRAILING else ""),
        )
        for s in sections
    }
    old = _sections(path.read_text()) if merge and path.exists() else []
    blocks: list[tuple[str, str]] = []
    for title, block in old:
        if _key(title) in new:
            blocks.append(new.pop(_key(title)))
        else:
            blocks.append((title, block))
    # The rest go before the first numbered section with a larger number, or before
    # the unnumbered trailing sections ("Not measured yet").
    for title, block in new.values():
        at = next(
            (i for i, (t, _) in enumerate(blocks)
             if (t[:1].isdigit() and t > title) or t == TRAILING),
            len(blocks),
        )  # fmt: skip
        blocks.insert(at, (title, block))
    lines = list(header)
    text = "\n".join(["# Spanwise benchmark results", "", *lines, ""]) + "\n"
    text += "\n".join(b for _, b in blocks)
    path.write_text(text)
