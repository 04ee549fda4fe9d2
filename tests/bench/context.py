"""What every benchmark module gets: mode, interpreters per system, services, progress."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.harness import MAIN_PYTHON, Service, Variant

__all__ = ["Context"]


@dataclass(frozen=True)
class Context:
    quick: bool
    full: bool
    cache: Path
    pythons: dict[str, Path]  # peer venv name -> python; "spanwise" -> ours
    # benchmarks 4/5: reuse the peers' loads and timings of an earlier run (its
    # .bench-cache/query/last-results.json) instead of loading them again
    peers_from: Path | None = None

    @property
    def rounds(self) -> int:
        return 2 if self.quick else 5

    def python(self, system: str) -> Path:
        return self.pythons.get(system, MAIN_PYTHON)

    def variant(
        self,
        name: str,
        venv: str,
        module: str,
        env: Mapping[str, str],
        probe: Callable[[], dict[str, Any]] | None = None,
    ) -> Variant:
        """One system's workload ``module`` in its venv's interpreter (ours: this checkout's
        sources first)."""
        return Variant(name=name, python=self.python(venv), module=module, env=env,
                       spanwise_sources=venv == "spanwise", probe=probe)  # fmt: skip

    def log(self, msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    def log_path(self, name: str) -> Path:
        p = self.cache / "logs" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    @contextlib.contextmanager
    def sink(self) -> Iterator[tuple[int, int]]:
        """A discarding OTLP sink; yields (grpc_port, http_port)."""
        with Service("sink", [str(MAIN_PYTHON), "-m", "tests.bench.sinks"]) as svc:
            f = svc.fields()
            yield int(f["grpc"]), int(f["http"])

    @contextlib.contextmanager
    def fake_openai(self, chunks: int) -> Iterator[str]:
        """The fake OpenAI server in its own process; yields its base URL."""
        cmd = [
            str(MAIN_PYTHON),
            "-m",
            "tests.fakes.openai_server",
            "--port",
            "0",
            "--chunks",
            str(chunks),
        ]
        with Service("fake-openai", cmd) as svc:
            yield f"http://127.0.0.1:{svc.fields()['port']}/v1"
