"""Run artifacts: files kept by the collector under ``<root>/<run_id>/<path>``.

The root is ``--artifacts DIR``, else ``<store dir>/artifacts`` for the embedded
store (``./spanwise-artifacts`` next to a ClickHouse server store). Paths come
from clients, so each is checked segment by segment and the resolved file must
stay inside the run's directory (no ``..``, absolute paths, backslashes, control
characters, or symlinks pointing out).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ..query.errors import NotFound, QueryError
from ..query.runs import validate_run_id

__all__ = ["DEFAULT_MAX_BYTES", "ArtifactStore", "ArtifactTooLarge", "default_root"]

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
MAX_PATH = 1024


class ArtifactTooLarge(ValueError):
    """The upload exceeds the size limit (HTTP 413)."""


def default_root(location: Any) -> Path:
    if getattr(location, "kind", "") == "chdb":
        return Path(location.path) / "artifacts"
    return Path("spanwise-artifacts").resolve()


def clean_path(path: str, allow_empty: bool = False) -> str:
    """A safe relative POSIX path, or QueryError saying what is wrong with it."""
    if not path or path.strip("/") == "":
        if allow_empty:
            return ""
        raise QueryError("artifact path is empty")
    if len(path) > MAX_PATH:
        raise QueryError(f"artifact path is longer than {MAX_PATH} characters")
    if path.startswith("/") or "\\" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise QueryError(f"invalid artifact path {path!r}: use a relative path with '/'")
    parts = [p for p in path.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise QueryError(f"invalid artifact path {path!r}: '.' and '..' are not allowed")
    return "/".join(parts)


class ArtifactStore:
    def __init__(self, root: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root).resolve()
        self.max_bytes = max_bytes

    def _run_dir(self, run_id: str) -> Path:
        return self.root / validate_run_id(run_id)

    def _resolve(self, run_id: str, path: str, allow_empty: bool = False) -> tuple[Path, str]:
        rel = clean_path(path, allow_empty)
        base = self._run_dir(run_id)
        target = (base / rel).resolve() if rel else base.resolve()
        if target != base.resolve() and not target.is_relative_to(base.resolve()):
            raise QueryError(f"invalid artifact path {path!r}: it leaves the run's directory")
        return target, rel

    async def write(self, run_id: str, path: str, chunks: AsyncIterator[bytes]) -> dict[str, Any]:
        """Stream an upload to a temp file, then rename: readers never see half a file."""
        target, rel = self._resolve(run_id, path)
        if target.is_dir():
            raise QueryError(f"artifact path {path!r} is a directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        # mkdir may have followed a symlinked parent; check again before writing.
        self._resolve(run_id, path)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise ArtifactTooLarge(
                            f"artifact is larger than the limit of {self.max_bytes} bytes"
                        )
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return {"path": rel, "is_dir": False, "file_size": size}

    def list(self, run_id: str, path: str = "") -> list[dict[str, Any]]:
        """Direct children of ``path`` (MLflow's list_artifacts), directories first."""
        target, rel = self._resolve(run_id, path, allow_empty=True)
        if not target.exists():
            return []
        if target.is_file():
            return [{"path": rel, "is_dir": False, "file_size": target.stat().st_size}]
        out = []
        for child in sorted(target.iterdir(), key=lambda c: (not c.is_dir(), c.name)):
            if child.name.startswith(".upload-"):
                continue
            child_rel = f"{rel}/{child.name}" if rel else child.name
            is_dir = child.is_dir()
            out.append({"path": child_rel, "is_dir": is_dir,
                        "file_size": None if is_dir else child.stat().st_size})  # fmt: skip
        return out

    def file(self, run_id: str, path: str) -> Path:
        target, _ = self._resolve(run_id, path)
        if not target.is_file():
            raise NotFound(f"run {run_id} has no artifact {path!r}")
        return target
