"""MLflow's ``log_text``, ``log_dict``, ``log_figure`` and ``log_image``: a value written to
a file named ``artifact_file`` (a path inside the run's artifacts) in a temporary
directory, then uploaded as ``log_artifact`` uploads a file.

The libraries they need (PyYAML for a ``.yaml`` dict, matplotlib/plotly for the figure
itself, Pillow for an array image) are the user's: nothing here imports them otherwise.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..exceptions import InvalidParameterError

__all__ = ["log_dict", "log_figure", "log_image", "log_text"]


def _split(artifact_file: Any) -> tuple[str | None, str]:
    """(the artifact directory or None, the file name) of ``artifact_file``."""
    if not isinstance(artifact_file, str) or not artifact_file.strip("/"):
        raise InvalidParameterError(
            f"artifact_file must be a file path such as 'notes/summary.txt', got {artifact_file!r}"
        )
    directory, name = posixpath.split(artifact_file.strip("/"))
    if name in (".", ".."):
        raise InvalidParameterError(f"artifact_file {artifact_file!r} names no file")
    return directory or None, name


def _log(artifact_file: Any, write: Callable[[Path], None], run_id: str | None) -> None:
    import tempfile

    from .artifacts import upload_file
    from .fluent import _run_for_logging

    directory, name = _split(artifact_file)
    state = _run_for_logging(run_id)
    with tempfile.TemporaryDirectory(prefix="spanwise-artifact-") as tmp:
        path = Path(tmp) / name
        write(path)
        upload_file(state.run_id, path, directory)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Save ``text`` as the run's artifact ``artifact_file`` (UTF-8), e.g. ``"notes.txt"``."""
    if not isinstance(text, str):
        raise InvalidParameterError(f"log_text takes a str, got {type(text).__name__}")
    _log(artifact_file, lambda path: path.write_text(text, encoding="utf-8"), run_id)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Save ``dictionary`` as JSON, or as YAML when ``artifact_file`` ends in ``.yaml`` or
    ``.yml`` (needs PyYAML), e.g. ``log_dict(config, "config.yaml")``."""
    _, name = _split(artifact_file)
    if name.lower().endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise InvalidParameterError(
                f"log_dict to {artifact_file!r} writes YAML, which needs PyYAML: "
                "`pip install pyyaml`, or name the file *.json"
            ) from None
        text = yaml.safe_dump(dictionary, indent=2, sort_keys=False, allow_unicode=True)
    else:
        try:
            text = json.dumps(dictionary, indent=2, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"log_dict: the value is not JSON: {exc}") from None
    _log(artifact_file, lambda path: path.write_text(text, encoding="utf-8"), run_id)


def log_figure(figure: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Save a matplotlib or plotly figure; the file's suffix picks the format
    (``.png``, ``.svg``, ``.pdf``…; a plotly figure to ``.html`` is interactive)."""
    if callable(getattr(figure, "savefig", None)):  # matplotlib Figure

        def write(path: Path) -> None:
            figure.savefig(path)

    elif callable(getattr(figure, "write_html", None)):  # plotly Figure

        def write(path: Path) -> None:
            if path.suffix.lower() == ".html":
                figure.write_html(path)
            else:
                figure.write_image(path)  # needs kaleido, as in plotly

    else:
        raise InvalidParameterError(
            f"log_figure takes a matplotlib or plotly figure, got {type(figure).__name__}"
        )
    _log(artifact_file, write, run_id)


def log_image(image: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Save a Pillow image, or a numpy array (H×W, H×W×3 or H×W×4; needs Pillow), in the
    format of ``artifact_file``'s suffix, e.g. ``log_image(img, "samples/0.png")``."""
    if not callable(getattr(image, "save", None)):  # not a Pillow image: an array?
        if not hasattr(image, "__array__"):
            raise InvalidParameterError(
                f"log_image takes a Pillow image or a numpy array, got {type(image).__name__}"
            )
        try:
            from PIL import Image
        except ImportError:
            raise InvalidParameterError(
                "log_image of an array needs Pillow: `pip install pillow`"
            ) from None
        try:
            image = Image.fromarray(image)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"log_image: the array is no image: {exc}") from None
    _log(artifact_file, image.save, run_id)
