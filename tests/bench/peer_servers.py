"""The peers' servers for the query and storage benchmarks, and OTLP/HTTP loading.

MLflow tracking server (its default SQLite store + local artifacts) and Phoenix
(its default SQLite working dir), each started fresh in its own directory, loaded
with a prefix [0, K) of the corpus over OTLP/HTTP within a time budget.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.context import Context
from tests.bench.harness import Service, free_port, wait_http
from tests.bench.tracegen import Corpus

__all__ = ["Loaded", "dir_bytes", "load_otlp_http", "start_mlflow", "start_phoenix", "table_count"]

PROTOBUF = "application/x-protobuf"


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def table_count(db: Path, table: str) -> int:
    """Rows in a peer's SQLite table (read-only; the server may be writing)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def start_mlflow(
    ctx: Context, workdir: Path, log: str = "mlflow-server.log"
) -> tuple[Service, str, str]:
    """`mlflow server` on SQLite; returns (service, url, experiment id)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    mlflow = ctx.python("mlflow").parent / "mlflow"
    cmd = [str(mlflow), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
           "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
           "--default-artifact-root", str(workdir / "artifacts")]  # fmt: skip
    # Without internet its cost code stalls each worker ~42 s fetching a price list.
    env = {"MLFLOW_MODEL_CATALOG_URI": ""}
    svc = Service("mlflow", cmd, env=env, log=ctx.log_path(log))
    svc.start(read_first_line=False)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health", 180, svc.proc)
    body = json.dumps({"name": f"bench-{time.time_ns()}"}).encode()
    req = urllib.request.Request(
        f"{url}/api/2.0/mlflow/experiments/create",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        experiment = json.loads(r.read())["experiment_id"]
    return svc, url, experiment


def start_phoenix(
    ctx: Context, workdir: Path, grpc: int | None = None, log: str = "phoenix-server.log"
) -> tuple[Service, str]:
    """`phoenix serve` with its SQLite working dir (OTLP/gRPC on ``grpc`` if given);
    returns (service, url)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port, grpc = free_port(), grpc or free_port()
    cmd = [str(ctx.python("phoenix").parent / "phoenix"), "serve"]
    env = {"PHOENIX_WORKING_DIR": str(workdir), "PHOENIX_PORT": str(port),
           "PHOENIX_GRPC_PORT": str(grpc), "PHOENIX_HOST": "127.0.0.1",
           "PHOENIX_TELEMETRY_ENABLED": "false"}  # fmt: skip
    svc = Service("phoenix", cmd, env=env, log=ctx.log_path(log))
    svc.start(read_first_line=False)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/healthz", 180, svc.proc)
    return svc, url


@dataclass(frozen=True)
class Loaded:
    traces: int  # prefix [0, traces) acknowledged
    spans: int
    seconds: float
    rejected: int  # requests answered non-2xx (retried)


def load_otlp_http(url: str, headers: dict[str, str], corpus: Corpus, max_traces: int,
                   budget_s: float, senders: int = 2, traces_per_request: int = 40) -> Loaded:  # fmt: skip
    """Send traces in order until the budget ends; returns the acknowledged prefix.

    Each sender takes the next chunk; a rejected request (Phoenix answers 503 while
    its queue is full) is retried after a pause, so what was acknowledged is a prefix.
    """
    lock = threading.Lock()
    next_chunk = [0]
    acked: set[int] = set()
    rejected = [0]
    deadline = time.monotonic() + budget_s
    n_chunks = (max_traces + traces_per_request - 1) // traces_per_request
    hdrs = {"Content-Type": PROTOBUF, **headers}

    def sender() -> None:
        while time.monotonic() < deadline:
            with lock:
                chunk = next_chunk[0]
                if chunk >= n_chunks:
                    return
                next_chunk[0] += 1
            lo = chunk * traces_per_request
            body = corpus.request(range(lo, min(max_traces, lo + traces_per_request)))
            raw = body.SerializeToString()
            while time.monotonic() < deadline:
                try:
                    status = _post(f"{url}/v1/traces", raw, hdrs, timeout=120)
                except OSError:
                    status = 0
                if 200 <= status < 300:
                    with lock:
                        acked.add(chunk)
                    break
                with lock:
                    rejected[0] += 1
                time.sleep(0.5)

    began = time.monotonic()
    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(budget_s + 180)
    took = time.monotonic() - began
    prefix = 0
    while prefix in acked:
        prefix += 1
    traces = min(max_traces, prefix * traces_per_request)
    return Loaded(traces, corpus.spans_in(0, traces), took, rejected[0])


def graphql(url: str, query: str, variables: dict[str, Any], timeout: float) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    req = urllib.request.Request(
        f"{url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as r:
        out = json.loads(r.read())
    if out.get("errors"):
        raise RuntimeError(f"graphql: {out['errors'][0].get('message')}")
    return out["data"]
