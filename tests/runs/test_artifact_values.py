"""MLflow's log_text / log_dict / log_figure / log_image: the value arrives as the run's
artifact under the path given, readable back as it was logged; bad input is refused at
the call and uploads nothing."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import spanwise
import yaml
from spanwise import InvalidParameterError


def _run_name(what: str) -> str:
    return f"art-values-{what}-{uuid.uuid4().hex[:8]}"


def _read(client, run_id: str, path: str, tmp_path: Path) -> bytes:
    return Path(client.download_artifacts(run_id, path, str(tmp_path))).read_bytes()


def test_text_and_dicts_come_back_as_logged(sdk, client, tmp_path):
    config = {"model": "gpt-4o-mini", "temperature": 0.2, "stops": ["\n"], "名前": "テスト"}
    with spanwise.start_run(experiment_name=_run_name("text")) as run:
        spanwise.log_text("first line\nsecond — ünïcode\n", "notes/summary.txt")
        spanwise.log_dict(config, "config.json")
        spanwise.log_dict(config, "configs/run.yaml")
    run_id = run.run_id
    assert {f.path for f in client.list_artifacts(run_id)} == {"notes", "config.json", "configs"}
    text = _read(client, run_id, "notes/summary.txt", tmp_path / "t").decode()
    assert text == "first line\nsecond — ünïcode\n"
    assert json.loads(_read(client, run_id, "config.json", tmp_path / "j")) == config
    assert yaml.safe_load(_read(client, run_id, "configs/run.yaml", tmp_path / "y")) == config


def test_a_matplotlib_figure_and_images(sdk, client, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib import pyplot as plt
    from PIL import Image

    figure, axes = plt.subplots()
    axes.plot([1, 2, 3], [2, 4, 1])
    pixels = np.zeros((4, 6, 3), dtype=np.uint8)
    pixels[1, 2] = (255, 0, 0)
    with spanwise.start_run(experiment_name=_run_name("figure")) as run:
        spanwise.log_figure(figure, "plots/loss.png")
        spanwise.log_figure(figure, "plots/loss.svg")
        spanwise.log_image(pixels, "samples/0.png")
        spanwise.log_image(Image.new("L", (3, 2), color=7), "samples/gray.png")
    plt.close(figure)
    run_id = run.run_id
    assert {f.path for f in client.list_artifacts(run_id, "plots")} == {
        "plots/loss.png", "plots/loss.svg"
    }  # fmt: skip
    assert _read(client, run_id, "plots/loss.png", tmp_path / "p").startswith(b"\x89PNG")
    assert b"<svg" in _read(client, run_id, "plots/loss.svg", tmp_path / "s")
    local = client.download_artifacts(run_id, "samples", str(tmp_path / "img"))
    assert (np.asarray(Image.open(Path(local) / "0.png")) == pixels).all()
    assert Image.open(Path(local) / "gray.png").size == (3, 2)


def test_bad_values_and_paths_are_refused_and_upload_nothing(sdk, client):
    with spanwise.start_run(experiment_name=_run_name("bad")) as run:
        with pytest.raises(InvalidParameterError, match="takes a str"):
            spanwise.log_text(b"bytes", "a.txt")
        with pytest.raises(InvalidParameterError, match="not JSON"):
            spanwise.log_dict({"when": object()}, "a.json")
        with pytest.raises(InvalidParameterError, match="matplotlib or plotly"):
            spanwise.log_figure("not a figure", "a.png")
        with pytest.raises(InvalidParameterError, match="Pillow image or a numpy array"):
            spanwise.log_image([[1, 2]], "a.png")
        for bad in ("", "/", "dir/..", "../up/a.txt"):
            with pytest.raises(InvalidParameterError):
                spanwise.log_text("x", bad)
    assert client.list_artifacts(run.run_id) == []


def test_run_id_logs_to_a_run_this_process_started(sdk, client, tmp_path):
    with spanwise.start_run(experiment_name=_run_name("run-id")) as run:
        pass  # ended: still this process's run
    spanwise.log_text("late", "late.txt", run_id=run.run_id)
    assert _read(client, run.run_id, "late.txt", tmp_path) == b"late"
