"""The collector's artifact store on its own: size limit and path checks (no HTTP)."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from spanwise_collector.query.errors import QueryError
from spanwise_collector.runs.artifacts import ArtifactStore, ArtifactTooLarge


async def _chunks(*parts: bytes):
    for part in parts:
        yield part


def write(store: ArtifactStore, run_id: str, path: str, *parts: bytes):
    return asyncio.run(store.write(run_id, path, _chunks(*parts)))


def test_upload_over_the_limit_is_refused_and_leaves_nothing(tmp_path):
    store = ArtifactStore(tmp_path, max_bytes=10)
    run_id = uuid.uuid4().hex
    assert write(store, run_id, "ok.bin", b"12345", b"67890")["file_size"] == 10
    with pytest.raises(ArtifactTooLarge):
        write(store, run_id, "big.bin", b"123456", b"789012")
    assert [f["path"] for f in store.list(run_id)] == ["ok.bin"]
    assert sorted(os.listdir(tmp_path / run_id)) == ["ok.bin"]  # no temp file left


def test_symlink_out_of_the_run_directory_is_refused(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    store = ArtifactStore(root)
    run_id = uuid.uuid4().hex
    write(store, run_id, "a.txt", b"x")
    (root / run_id / "link").symlink_to(outside)
    with pytest.raises(QueryError, match="leaves the run"):
        write(store, run_id, "link/evil.txt", b"x")
    with pytest.raises(QueryError, match="leaves the run"):
        store.list(run_id, "link")
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("path", ["", "/", "/etc/passwd", "../x", "a/../../x", "a\\b", "a\x00b",
                                  "./a", "x" * 2000])  # fmt: skip
def test_bad_paths(tmp_path, path):
    with pytest.raises(QueryError):
        write(ArtifactStore(tmp_path), uuid.uuid4().hex, path, b"x")


def test_overwrite_replaces_atomically_and_nested_listing(tmp_path):
    store = ArtifactStore(tmp_path)
    run_id = uuid.uuid4().hex
    write(store, run_id, "model/weights.bin", b"old")
    write(store, run_id, "model/weights.bin", b"new!")
    write(store, run_id, "model/config.json", b"{}")
    write(store, run_id, "README", b"r")
    assert store.list(run_id) == [
        {"path": "model", "is_dir": True, "file_size": None},
        {"path": "README", "is_dir": False, "file_size": 1},
    ]
    assert [f["path"] for f in store.list(run_id, "model")] == [
        "model/config.json", "model/weights.bin"
    ]  # fmt: skip
    assert store.file(run_id, "model/weights.bin").read_bytes() == b"new!"
    with pytest.raises(QueryError):
        store.list("not-a-run", "")
