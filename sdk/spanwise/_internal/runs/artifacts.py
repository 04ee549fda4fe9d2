"""Artifact upload for ``log_artifact(s)``: one HTTP PUT per file to the collector."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import log_internal_error
from ..exceptions import InvalidParameterError

__all__ = ["upload_dir", "upload_file"]


def _dest(artifact_path: str | None, name: str) -> str:
    base = (artifact_path or "").strip("/")
    return f"{base}/{name}" if base else name


def _client():  # type: ignore[no-untyped-def]
    from ..client import Client

    return Client()


def upload_file(run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None) -> None:
    path = Path(local_path)
    if not path.is_file():
        raise InvalidParameterError(f"log_artifact: {str(path)!r} is not a file")
    try:
        _client()._upload_artifact(run_id, path, _dest(artifact_path, path.name))
    except Exception:
        log_internal_error(f"uploading artifact {path}")


def upload_dir(run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None) -> None:
    root = Path(local_dir)
    if not root.is_dir():
        raise InvalidParameterError(f"log_artifacts: {str(root)!r} is not a directory")
    client = _client()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        try:
            client._upload_artifact(run_id, path, _dest(artifact_path, rel))
        except Exception:
            log_internal_error(f"uploading artifact {path}")
