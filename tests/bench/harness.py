"""Running measurements: fresh subprocess per measurement, variants interleaved, stats.

A workload is a module run as ``<python> -m tests.bench.workloads.X`` with its
parameters in the environment; its last stdout line is one JSON object. Variants are
run A B C A B C … so that drift of a shared machine hits all of them alike.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "MAIN_PYTHON",
    "REPO_ROOT",
    "Service",
    "Stats",
    "Variant",
    "free_port",
    "run_interleaved",
    "run_once",
    "wait_http",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
MAIN_PYTHON = Path(sys.executable)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} not up after {timeout}s")


def pythonpath(spanwise_sources: bool) -> str:
    """The repo root (for tests.bench.*), plus this checkout's packages for Spanwise runs."""
    paths = (
        [str(REPO_ROOT / d) for d in ("sdk", "collector", "pricing")] if spanwise_sources else []
    )
    return os.pathsep.join([*paths, str(REPO_ROOT)])


@dataclass(frozen=True)
class Variant:
    name: str
    python: Path
    module: str
    env: Mapping[str, str] = field(default_factory=dict)
    spanwise_sources: bool = False
    # called before/after each run, e.g. to read a sink's span count
    probe: Callable[[], dict[str, Any]] | None = None
    # a command the interpreter runs under, e.g. valgrind (bench_instructions)
    wrapper: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stats:
    values: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)


def _clean_env(extra: Mapping[str, str], spanwise_sources: bool) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "SPANWISE_", "MLFLOW_", "LANGFUSE_", "PHOENIX_"))
    }
    env["PYTHONPATH"] = pythonpath(spanwise_sources)
    env["PYTHONHASHSEED"] = "0"
    env.update(extra)
    return env


def run_once(v: Variant, timeout: float) -> dict[str, Any]:
    before = v.probe() if v.probe else {}
    proc = subprocess.run(
        [*v.wrapper, str(v.python), "-m", v.module],
        env=_clean_env(v.env, v.spanwise_sources),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        return {"error": f"exit {proc.returncode}: {tail}"}
    result = json.loads(lines[-1])
    if v.probe:
        # exporters flush at exit; give the sink a moment to count the last batch
        time.sleep(0.05)
        after = v.probe()
        result["received_spans"] = after.get("spans", 0) - before.get("spans", 0)
    return result


def run_interleaved(
    variants: Sequence[Variant],
    rounds: int,
    timeout: float = 300,
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {v.name: [] for v in variants}
    failed: set[str] = set()
    for r in range(rounds):
        for v in variants:
            if v.name in failed:
                continue
            try:
                res = run_once(v, timeout)
            except subprocess.TimeoutExpired:
                res = {"error": f"timeout after {timeout}s"}
            results[v.name].append(res)
            if "error" in res or "skip" in res:
                failed.add(v.name)  # don't spend the budget on a broken or missing variant
            if progress:
                shown = (
                    res.get("skip")
                    or "".join(res.get("error", "").splitlines()[-1:])
                    or ", ".join(
                        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in res.items()
                    )
                )
                progress(f"    round {r + 1}/{rounds} {v.name}: {shown}")
    return results


class Service:
    """A background process (sink, fake OpenAI, collector, peer server), stopped on exit."""

    def __init__(
        self,
        name: str,
        cmd: Sequence[str],
        env: Mapping[str, str] | None = None,
        spanwise_sources: bool = False,
        log: Path | None = None,
    ) -> None:
        self.name = name
        self.cmd = list(cmd)
        self.env = _clean_env(env or {}, spanwise_sources)
        self.log = log
        self.proc: subprocess.Popen[str] | None = None
        self.first_line = ""
        self._stderr: list[str] = []

    def start(self, read_first_line: bool = True) -> Service:
        err = self.log.open("w") if self.log else subprocess.PIPE
        self.proc = subprocess.Popen(
            self.cmd,
            env=self.env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE if read_first_line else subprocess.DEVNULL,
            stderr=err,
            text=True,
            start_new_session=True,  # its children (server workers) go with it
        )
        if err is subprocess.PIPE:
            threading.Thread(target=self._drain, daemon=True).start()
        if read_first_line:
            assert self.proc.stdout is not None
            self.first_line = self.proc.stdout.readline().strip()
            if not self.first_line:
                self.proc.wait(10)
                raise RuntimeError(f"{self.name} did not start: {''.join(self._stderr[-20:])}")
            threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return self

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr = [*self._stderr[-200:], line]

    def fields(self) -> dict[str, str]:
        """``a=1 b=2`` on the first line -> {"a": "1", "b": "2"}."""
        return dict(p.split("=", 1) for p in self.first_line.split() if "=" in p)

    def stop(self, timeout: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def sink_probe(http_port: int) -> Callable[[], dict[str, Any]]:
    def probe() -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/stats", timeout=5) as r:
            return json.loads(r.read())

    return probe


# Peers' own phone-home and catalog fetches off in every workload process.
QUIET_PEERS: dict[str, str] = {"PHOENIX_TELEMETRY_ENABLED": "false", "MLFLOW_MODEL_CATALOG_URI": ""}


def sink_env(grpc_port: int, http_port: int) -> dict[str, str]:
    """Environment pointing every system's exporter at the discarding sink (tests/bench/
    sinks.py): OTLP/gRPC for the OTel-based ones, OTLP/HTTP for Langfuse."""
    endpoint = f"http://127.0.0.1:{grpc_port}"
    return {
        "BENCH_GRPC_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
        "LANGFUSE_PUBLIC_KEY": "pk-lf-bench",
        "LANGFUSE_SECRET_KEY": "sk-lf-bench",
        "LANGFUSE_BASE_URL": f"http://127.0.0.1:{http_port}",
        "LANGFUSE_HOST": f"http://127.0.0.1:{http_port}",
        **QUIET_PEERS,
    }
