"""Sections of the markdown report, and RESULTS.md itself."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Section", "Table", "fmt", "machine_info", "write_results"]


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


def write_results(path: Path, header: Sequence[str], sections: Sequence[Section]) -> None:
    text = "\n".join(["# Spanwise benchmark results", "", *header, ""]) + "\n"
    text += "\n".join(s.markdown() for s in sections)
    path.write_text(text)
