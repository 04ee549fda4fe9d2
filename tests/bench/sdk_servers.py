"""Benchmark 1 against real backends: each system's decorator exporting to its own server.

One Spanwise collector (embedded chDB in a temp dir; raw OTel and `@spanwise.trace`
write to it under different projects), one MLflow tracking server (SQLite) and one
Phoenix server (SQLite), started once, in parallel, for both shapes. What each server
stored is counted per shape, after the runs, once its count has settled.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.context import Context
from tests.bench.harness import (
    MAIN_PYTHON,
    QUIET_PEERS,
    Service,
    Variant,
    free_port,
    wait_http,
)
from tests.bench.peer_servers import start_mlflow, start_phoenix, table_count

__all__ = ["SYSTEMS", "Backend", "real_backends", "settled_counts", "variants"]

# system -> (interpreter venv, label)
SYSTEMS: dict[str, tuple[str, str]] = {
    "none": ("spanwise", "undecorated"),
    "otel-grpc": ("otel", "raw OTel SDK + JSON capture, OTLP/gRPC → Spanwise collector"),
    "spanwise": ("spanwise", "`@spanwise.trace` → Spanwise collector (OTLP/gRPC)"),
    "mlflow": ("mlflow", "`@mlflow.trace` → MLflow tracking server (REST, async logging)"),
    "phoenix": (
        "openinference",
        "OpenInference `tracer.chain` (phoenix.otel, batch=True) → Phoenix (OTLP/gRPC)",
    ),
}


@dataclass(frozen=True)
class Backend:
    env: Mapping[str, str]  # what a workload process needs to export there
    count: Callable[[], int]  # spans this system's runs have stored so far
    # (what, count): the part of ``count`` stored another way, said in the report
    aside: tuple[str, Callable[[], int]] | None = None


def _post_json(url: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def _spanwise_count(http_url: str, project: str) -> Callable[[], int]:
    def count() -> int:
        body = {"project": project, "metrics": ["count"], "level": "span"}
        rows = _post_json(f"{http_url}/api/v1/analytics", body)["rows"]
        return int(rows[0]["count"]) if rows else 0

    return count


@contextlib.contextmanager
def _collector(ctx: Context, root: Path) -> Iterator[dict[str, Backend]]:
    cmd = [str(MAIN_PYTHON), "-m", "spanwise_collector", "collector", "--store",
           str(root / "spanwise-store"), "--grpc-port", "0", "--http-port", "0"]  # fmt: skip
    svc = Service("collector", cmd, spanwise_sources=True, log=ctx.log_path("sdk-collector.log"))
    with svc:
        f = svc.fields()
        http = f"http://127.0.0.1:{f['http']}"
        wait_http(f"{http}/healthz", 120, svc.proc)
        grpc = {"BENCH_GRPC_ENDPOINT": f"http://127.0.0.1:{f['grpc']}"}
        yield {
            "spanwise": Backend(
                {**grpc, "BENCH_PROJECT": "bench-spanwise"},
                _spanwise_count(http, "bench-spanwise"),
            ),
            "otel-grpc": Backend(
                {**grpc, "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-spanwise-project=bench-otel"},
                _spanwise_count(http, "bench-otel"),
            ),
        }


def _mlflow_spans(mlflow_dir: Path) -> tuple[int, int]:
    """(distinct spans stored, of which only in ``traces.json`` artifacts).

    MLflow's client logs spans to the server's `spans` table and, in a separate request,
    the trace; when the trace request is answered before its spans are stored (or the
    client could not learn the server's version within 3 s, which span logging needs),
    it also uploads the whole trace as an artifact. Traces are counted once."""
    with sqlite3.connect(f"file:{mlflow_dir / 'mlflow.db'}?mode=ro", uri=True, timeout=30) as c:
        in_table = dict(c.execute("SELECT trace_id, count(*) FROM spans GROUP BY trace_id"))
    only_artifacts = sum(
        len(json.loads(f.read_text())["spans"])
        for f in (mlflow_dir / "artifacts").rglob("traces.json")
        if f.parent.parent.name not in in_table  # .../traces/<trace id>/artifacts/traces.json
    )
    return sum(in_table.values()) + only_artifacts, only_artifacts


def _stop_started(*futures: Future[tuple[Any, ...]]) -> None:
    """Stop the servers that started, in parallel (each may take seconds to drain)."""
    started = [f.result()[0] for f in futures if f.exception() is None]
    with ThreadPoolExecutor(max(1, len(started))) as pool:
        list(pool.map(lambda svc: svc.stop(), started))


@contextlib.contextmanager
def real_backends(ctx: Context) -> Iterator[dict[str, Backend]]:
    """The three servers, started in parallel and stopped on exit; system -> Backend."""
    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-sdk-")))
        phoenix_grpc = free_port()
        with ThreadPoolExecutor(2) as pool:  # the peers take tens of seconds to come up
            mlflow_f = pool.submit(start_mlflow, ctx, root / "mlflow", "sdk-mlflow-server.log")
            phoenix_f = pool.submit(
                start_phoenix, ctx, root / "phoenix", phoenix_grpc, "sdk-phoenix-server.log"
            )
            stack.callback(_stop_started, mlflow_f, phoenix_f)  # whatever fails below
            backends = dict(stack.enter_context(_collector(ctx, root)))
            mlflow_url, experiment = mlflow_f.result()[1:]
            phoenix_f.result()
        mlflow_dir = root / "mlflow"
        backends["mlflow"] = Backend(
            {"BENCH_MLFLOW_URI": mlflow_url, "BENCH_MLFLOW_EXPERIMENT_ID": experiment},
            lambda: _mlflow_spans(mlflow_dir)[0],
            ("only as trace artifacts", lambda: _mlflow_spans(mlflow_dir)[1]),
        )
        backends["phoenix"] = Backend(
            {"BENCH_GRPC_ENDPOINT": f"http://127.0.0.1:{phoenix_grpc}"},
            lambda: table_count(root / "phoenix" / "phoenix.db", "spans"),
        )
        yield backends


def settled_counts(
    backends: Mapping[str, Backend], targets: Mapping[str, int], timeout: float
) -> dict[str, int | str]:
    """Each backend's count once it reaches its target or stops growing for 5 s (servers
    that acknowledge into a queue store later); an error's text if it cannot be read."""
    out: dict[str, int | str] = {}
    deadline = time.monotonic() + timeout
    for system, b in backends.items():
        last, since = -1, time.monotonic()
        while True:
            try:
                n = b.count()
            except Exception as exc:
                out[system] = f"count failed: {exc}"
                break
            now = time.monotonic()
            if n != last:
                last, since = n, now
            if n >= targets.get(system, 0) or now - since >= 5 or now >= deadline:
                out[system] = n
                break
            time.sleep(1)
    return out


def variants(ctx: Context, backends: Mapping[str, Backend], shape: str, n: int) -> list[Variant]:
    out = []
    for system, (venv, _) in SYSTEMS.items():
        env = {
            "BENCH_SYSTEM": system,
            "BENCH_SHAPE": shape,
            "BENCH_N": str(n),
            **QUIET_PEERS,
            **(backends[system].env if system in backends else {}),
        }
        out.append(ctx.variant(system, venv, "tests.bench.workloads.decorator", env))
    return out
