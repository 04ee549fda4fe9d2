"""Run the real collector as a subprocess on 127.0.0.1 with free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def source_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for subprocesses that runs this checkout's code (works in worktrees)."""
    env = dict(os.environ)
    paths = [str(ROOT / d) for d in ("sdk", "collector", "pricing")] + [str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra or {})
    return env


class CollectorProcess:
    """``python -m spanwise_collector collector`` on free ports; reads them from line one."""

    def __init__(
        self, store: Path | str, *extra_args: str, env: dict[str, str] | None = None
    ) -> None:
        self.store = str(store)
        self.extra_args = extra_args
        self.env = env or {}
        self.proc: subprocess.Popen[str] | None = None
        self.grpc_port = 0
        self.http_port = 0
        self.stderr_lines: list[str] = []

    def start(self, timeout: float = 60.0) -> CollectorProcess:
        cmd = [sys.executable, "-m", "spanwise_collector", "collector", "--store", self.store,
               "--grpc-port", "0", "--http-port", "0", *self.extra_args]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=source_env(self.env)
        )
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("grpc="):
            self.proc.wait(10)
            raise RuntimeError(f"collector did not start: {line!r} {''.join(self.stderr_lines)}")
        parts = dict(p.split("=") for p in line.split())
        self.grpc_port, self.http_port = int(parts["grpc"]), int(parts["http"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.http_url}/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("collector never became healthy")

    def _drain_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    @property
    def grpc_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.grpc_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> CollectorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
