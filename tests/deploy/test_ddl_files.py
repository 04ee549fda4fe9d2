"""deploy/clickhouse/*.sql are exactly what `spanwise schema print` emits (no drift)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scripts.gen_ddl import GENERATED, ROOT, render
from tests.support.collector import source_env


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_deploy_ddl_file_equals_schema_print(name):
    path = ROOT / "deploy" / "clickhouse" / name
    assert path.read_text() == render(GENERATED[name]), (
        f"{path} is stale: run `python scripts/gen_ddl.py`"
    )


def test_console_command_prints_the_same_ddl():
    name = "schema-cluster.sql"
    out = subprocess.run(
        [sys.executable, "-m", "spanwise_collector", "schema", "print", *GENERATED[name]],
        capture_output=True, text=True, timeout=60, env=source_env(), check=True,
    ).stdout  # fmt: skip
    assert out == (ROOT / "deploy" / "clickhouse" / name).read_text()
