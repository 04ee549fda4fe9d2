"""The committed generated code matches what scripts/gen_proto.py produces now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "sdk" / "spanwise" / "_proto"


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_generated_code_is_up_to_date(tmp_path):
    out = tmp_path / "_proto"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_proto.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    fresh, committed = _tree(out), _tree(COMMITTED)
    assert sorted(fresh) == sorted(committed), "run `python scripts/gen_proto.py` and commit"
    for name, text in fresh.items():
        assert committed[name] == text, f"{name} is stale: run `python scripts/gen_proto.py`"


def test_sdk_and_collector_use_the_same_messages():
    from spanwise._proto.runs.v1 import runs_pb2
    from spanwise_collector.runs import service

    assert service.runs_pb2 is runs_pb2
    assert runs_pb2.DESCRIPTOR.package == "spanwise.runs.v1"
