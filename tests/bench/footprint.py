"""Installed size of a distribution and everything it requires (no extras), in one venv."""

from __future__ import annotations

import importlib.metadata as md
import re
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

__all__ = ["closure_bytes", "site_packages"]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def site_packages(python: Path) -> Path:
    venv = python.parent.parent
    return next((venv / "lib").glob("python3*/site-packages"))


def closure_bytes(site: Path, roots: list[str]) -> tuple[int, list[str]]:
    """(bytes of every file the closure's RECORDs list, the distribution names)."""
    dists = {_norm(d.metadata["Name"]): d for d in md.distributions(path=[str(site)])}
    env = default_environment()
    seen: set[str] = set()
    todo = [_norm(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen or name not in dists:
            continue
        seen.add(name)
        for spec in dists[name].requires or []:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
                continue
            todo.append(_norm(req.name))
    total = 0
    for name in seen:
        for f in dists[name].files or []:
            p = Path(dists[name].locate_file(f))
            if p.is_file():
                total += p.stat().st_size
    return total, sorted(seen)
