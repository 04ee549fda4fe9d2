"""Artifact upload for ``log_artifact(s)``: one HTTP PUT per file to the collector.

A collector that refuses a file (too large, bad name) or cannot be reached costs the
program one warning per call that says which files were not uploaded and why, not an
exception (and not an "internal error" traceback per file); a directory upload stops
at the first unreachable collector instead of trying every file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..errors import log_internal_error
from ..exceptions import InvalidParameterError

__all__ = ["upload_dir", "upload_file"]

logger = logging.getLogger("spanwise")


def _dest(artifact_path: str | None, name: str) -> str:
    base = (artifact_path or "").strip("/")
    if any(part in (".", "..") for part in base.split("/")):
        raise InvalidParameterError(
            f"artifact_path {artifact_path!r}: '.' and '..' are not allowed; give a path "
            "inside the run's artifacts, e.g. 'plots/2024'"
        )
    return f"{base}/{name}" if base else name


def _client():  # type: ignore[no-untyped-def]
    from ..client import Client

    return Client()


def _upload(client, run_id: str, path: Path, dest: str) -> Exception | None:  # type: ignore[no-untyped-def]
    """Upload one file; the collector's refusal (or absence) is returned, not raised."""
    from ..client import SpanwiseAPIError

    try:
        client._upload_artifact(run_id, path, dest)
    except SpanwiseAPIError as err:
        return err
    except Exception:
        log_internal_error(f"uploading artifact {path}")
    return None


def _warn(run_id: str, failed: list[tuple[Path, Exception]], total: int) -> None:
    path, err = failed[0]
    if total == 1:
        logger.warning("spanwise: artifact %s was not uploaded to run %s: %s", path, run_id, err)
    else:
        logger.warning("spanwise: %d of %d artifacts were not uploaded to run %s (%s: %s)",
                       len(failed), total, run_id, path, err)  # fmt: skip


def upload_file(run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None) -> None:
    path = Path(local_path)
    if not path.is_file():
        raise InvalidParameterError(f"log_artifact: {str(path)!r} is not a file")
    err = _upload(_client(), run_id, path, _dest(artifact_path, path.name))
    if err is not None:
        _warn(run_id, [(path, err)], 1)


def upload_dir(run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None) -> None:
    root = Path(local_dir)
    if not root.is_dir():
        raise InvalidParameterError(f"log_artifacts: {str(root)!r} is not a directory")
    _dest(artifact_path, "")  # a bad artifact_path raises before anything is sent
    client = _client()
    paths = sorted(p for p in root.rglob("*") if p.is_file())
    failed: list[tuple[Path, Exception]] = []
    for index, path in enumerate(paths):
        err = _upload(client, run_id, path, _dest(artifact_path, path.relative_to(root).as_posix()))
        if err is None:
            continue
        failed.append((path, err))
        if getattr(err, "status", None) == 0:  # unreachable: the rest would fail alike
            failed += [(p, err) for p in paths[index + 1 :]]
            break
    if failed:
        _warn(run_id, failed, len(paths))
