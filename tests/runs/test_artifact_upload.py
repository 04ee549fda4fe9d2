"""log_artifact(s) when the collector refuses a file or cannot be reached: one clear
warning, no exception, nothing half-done; a bad artifact_path is refused at the call."""

from __future__ import annotations

import logging
import uuid

import pytest
import spanwise
from spanwise import InvalidParameterError

from tests.reliability._blackhole import free_port


@pytest.fixture
def files(tmp_path):
    for name in ("a.txt", "b.txt", "sub/c.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    return tmp_path


def test_an_unreachable_collector_costs_one_warning_naming_the_files(sdk, files, monkeypatch,
                                                                      caplog):  # fmt: skip
    """Each file was an "internal error while uploading artifact (ignored)" with a
    traceback (re-raised under the test suite); a directory of 1,000 files made 1,000."""
    monkeypatch.setenv("SPANWISE_API_URL", f"http://127.0.0.1:{free_port()}")
    caplog.set_level(logging.WARNING, logger="spanwise")
    with spanwise.start_run(experiment_name=f"art-down-{uuid.uuid4().hex[:8]}") as run:
        spanwise.log_artifacts(files, artifact_path="out")
        spanwise.log_artifact(files / "a.txt")
    warnings = [r.getMessage() for r in caplog.records if r.name == "spanwise"]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith(
        f"spanwise: 3 of 3 artifacts were not uploaded to run {run.run_id}"
    )
    assert "cannot reach the Spanwise collector" in warnings[0]
    assert warnings[1].startswith(f"spanwise: artifact {files / 'a.txt'} was not uploaded")
    assert not any(r.exc_info for r in caplog.records)


def test_a_refused_file_is_named_and_the_others_are_uploaded(sdk, client, files, caplog):
    (files / "bad\\name.txt").write_text("x")  # the collector refuses '\\' in a path
    caplog.set_level(logging.WARNING, logger="spanwise")
    with spanwise.start_run(experiment_name=f"art-bad-{uuid.uuid4().hex[:8]}") as run:
        spanwise.log_artifacts(files)
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "spanwise"]
    assert "1 of 4 artifacts were not uploaded" in warning and "HTTP 400" in warning
    assert {f.path for f in client.list_artifacts(run.run_id)} == {"sub", "a.txt", "b.txt"}


def test_an_artifact_path_leaving_the_run_is_refused_at_the_call(sdk, client, files):
    with spanwise.start_run(experiment_name=f"art-path-{uuid.uuid4().hex[:8]}") as run:
        for bad in ("../up", "a/./b"):
            with pytest.raises(InvalidParameterError, match="are not allowed"):
                spanwise.log_artifact(files / "a.txt", artifact_path=bad)
            with pytest.raises(InvalidParameterError, match="are not allowed"):
                spanwise.log_artifacts(files, artifact_path=bad)
    assert client.list_artifacts(run.run_id) == []
