"""The OTLP receivers the ingest benchmark loads, each fresh on its own empty store.

- Spanwise: `spanwise collector` on a new chDB directory (OTLP/gRPC);
- MLflow: `mlflow server` with its default SQLite store (OTLP/HTTP /v1/traces);
- Phoenix: `phoenix serve` with its default SQLite store (OTLP/gRPC).

Each target says how to reach it, how to count the spans it has stored (what a query
would see), and which processes are the server (for CPU and RSS).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.bench.context import Context
from tests.bench.harness import MAIN_PYTHON, Service, free_port, pythonpath, wait_http

__all__ = ["TARGETS", "Target", "process_tree", "start"]


@dataclass
class Target:
    system: str
    protocol: str  # grpc | http
    address: str  # host:port (gRPC) or URL (HTTP)
    headers: dict[str, str]
    service: Service
    store: Path
    query_url: str | None = None  # Spanwise: its HTTP API

    def wait_written(self) -> None:
        """Spanwise acknowledges from its spool and inserts after: a read waits until every
        acknowledged span is in the store (the API's read-your-writes barrier)."""
        if self.query_url:
            import urllib.request

            urllib.request.urlopen(
                f"{self.query_url}/api/v1/traces?max_results=1", timeout=60
            ).read()

    @property
    def pid(self) -> int:
        assert self.service.proc is not None
        return self.service.proc.pid

    def stored_spans(self) -> int:
        if self.system == "spanwise":
            return _spanwise_count(self.store)
        return _sqlite_count(self.store, "spans")


def _sqlite_count(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    for _ in range(20):
        try:
            with contextlib.closing(
                sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
            ) as c:
                return int(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        except sqlite3.OperationalError:  # table not created yet / locked
            time.sleep(0.5)
    return 0


def _spanwise_count(store: Path) -> int:
    """Distinct spans in the store, read after the collector stopped (one chDB per dir)."""
    code = (
        "from spanwise_collector.store import open_store; import sys; "
        "s = open_store(sys.argv[1], create_schema=False); "
        "print(s.query('SELECT uniqExact(TraceId, SpanId) FROM otel_traces')[0][0])"
    )
    env = {**os.environ, "PYTHONPATH": pythonpath(True)}
    out = subprocess.run(
        [str(MAIN_PYTHON), "-c", code, f"chdb://{store}"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    lines = out.stdout.strip().splitlines()
    return int(lines[-1]) if lines else -1


def _spanwise(ctx: Context, work: Path) -> Target:
    store = work / "store"
    cmd = [str(MAIN_PYTHON), "-m", "spanwise_collector", "collector", "--store", str(store),
           "--grpc-port", "0", "--http-port", "0"]  # fmt: skip
    svc = Service("spanwise", cmd, spanwise_sources=True, log=ctx.log_path("ingest-spanwise.log"))
    svc.start()
    f = svc.fields()
    wait_http(f"http://127.0.0.1:{f['http']}/healthz", 60, svc.proc)
    return Target(
        "spanwise",
        "grpc",
        f"127.0.0.1:{f['grpc']}",
        {"x-spanwise-project": "bench"},
        svc,
        store,
        query_url=f"http://127.0.0.1:{f['http']}",
    )


def _mlflow(ctx: Context, work: Path) -> Target:
    port = free_port()
    db = work / "mlflow.db"
    mlflow = ctx.python("mlflow").parent / "mlflow"
    cmd = [str(mlflow), "server", "--backend-store-uri", f"sqlite:///{db}",
           "--default-artifact-root", str(work / "artifacts"), "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1"]  # fmt: skip
    # Without internet its cost code stalls ~42 s per worker fetching a price list.
    svc = Service("mlflow", cmd, env={"MLFLOW_MODEL_CATALOG_URI": ""},
                  log=ctx.log_path("ingest-mlflow.log"))  # fmt: skip
    svc.start(read_first_line=False)
    wait_http(f"http://127.0.0.1:{port}/health", 120, svc.proc)
    url = f"http://127.0.0.1:{port}/v1/traces"
    return Target("mlflow", "http", url, {"x-mlflow-experiment-id": "0"}, svc, db)


def _phoenix(ctx: Context, work: Path) -> Target:
    http, grpc = free_port(), free_port()
    phoenix = ctx.python("phoenix").parent / "phoenix"
    env = {"PHOENIX_WORKING_DIR": str(work), "PHOENIX_PORT": str(http),
           "PHOENIX_GRPC_PORT": str(grpc), "PHOENIX_HOST": "127.0.0.1",
           "PHOENIX_TELEMETRY_ENABLED": "false"}  # fmt: skip
    svc = Service("phoenix", [str(phoenix), "serve"], env=env,
                  log=ctx.log_path("ingest-phoenix.log"))  # fmt: skip
    svc.start(read_first_line=False)
    wait_http(f"http://127.0.0.1:{http}/healthz", 180, svc.proc)
    return Target("phoenix", "grpc", f"127.0.0.1:{grpc}", {}, svc, work / "phoenix.db")


TARGETS = {"spanwise": _spanwise, "mlflow": _mlflow, "phoenix": _phoenix}


@contextlib.contextmanager
def start(ctx: Context, system: str) -> Iterator[Target]:
    """A fresh server; the caller may stop it early (``service.stop()``) to count spans."""
    work = Path(tempfile.mkdtemp(prefix=f"bench-ingest-{system}-"))
    try:
        target = TARGETS[system](ctx, work)
        try:
            yield target
        finally:
            target.service.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (server workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out
