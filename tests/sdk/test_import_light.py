"""`import spanwise` pulls in none of the collector's or integrations' dependencies."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.collector import source_env

HEAVY = ["chdb", "clickhouse_connect", "fastapi", "uvicorn", "openai", "langchain_core", "spanwise_collector",
         "pyarrow", "pandas", "opentelemetry.sdk", "grpc"]  # fmt: skip


def test_import_spanwise_is_light():
    code = (
        f"import sys, json, spanwise; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=source_env(), check=True
    )
    assert json.loads(out.stdout) == []


def test_read_side_loads_on_first_use_and_every_public_name_resolves():
    code = (
        "import sys, json, spanwise\n"
        "before = 'spanwise._internal.client' in sys.modules\n"
        "ns = {}\n"
        "exec('from spanwise import *', ns)\n"
        "missing = [n for n in spanwise.__all__ if n not in ns]\n"
        "print(json.dumps([before, missing, spanwise.Client.__name__, spanwise.TraceInfo.__module__]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=source_env(), check=True
    )
    assert json.loads(out.stdout) == [False, [], "Client", "spanwise._internal.types"]
