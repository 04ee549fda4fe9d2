"""`import spanwise` pulls in none of the collector's or integrations' dependencies."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.collector import source_env

HEAVY = ["chdb", "clickhouse_connect", "fastapi", "uvicorn", "openai", "langchain_core", "spanwise_collector",
         "pyarrow", "pandas", "opentelemetry.sdk", "grpc", "google.genai", "agents", "botocore",
         "mistralai", "anthropic", "groq"]  # fmt: skip
INTEGRATIONS = ["openai", "openai_agents", "anthropic", "gemini", "bedrock", "mistral", "groq",
                "langchain"]  # fmt: skip


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


def test_every_integration_namespace_loads_on_first_use_without_its_library():
    """``spanwise.<integration>`` resolves lazily; the client library waits for autolog()
    (``spanwise.langchain`` excepted: its callback handler subclasses langchain-core's)."""
    code = (
        "import sys, json, spanwise\n"
        f"names = {INTEGRATIONS!r}\n"
        "got = [getattr(spanwise, n).__name__ for n in names]\n"
        "callable_ = all(callable(getattr(spanwise, n).autolog) for n in names)\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules and m != 'langchain_core']\n"
        "print(json.dumps([got, callable_, heavy]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=source_env(), check=True
    )
    got, callable_, heavy = json.loads(out.stdout)
    assert got == [f"spanwise.{n}" for n in INTEGRATIONS] and callable_
    assert heavy == []
