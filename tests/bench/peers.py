"""Install the peers (MLflow, Langfuse, Phoenix, otel-openai-v2) into their own virtualenvs.

They are not project dependencies: each gets a venv under the cache directory
(default `.bench-cache/`, gitignored) so their pins never touch ours. Installing is
idempotent — a marker file records the requirement list a venv was built from — and
runs one pip at a time (the machine is small and shared).

    python -m tests.bench.peers [--cache DIR] [NAME ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PEERS", "Peer", "cache_dir", "ensure_installed", "installed_version", "peer_python"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = REPO_ROOT / ".bench-cache"


@dataclass(frozen=True)
class Peer:
    name: str
    requirements: tuple[str, ...]
    # distributions whose versions go into RESULTS.md
    report: tuple[str, ...]


# `openai` goes into each venv so the same workload can run the peer's OpenAI
# instrumentation; opentelemetry-util-genai is pinned because 1.3b0 breaks
# opentelemetry-instrumentation-openai-v2's import (see shared notes).
PEERS: dict[str, Peer] = {
    p.name: p
    for p in (
        Peer(
            "otel",
            (
                "opentelemetry-sdk",
                "opentelemetry-exporter-otlp-proto-grpc",
                "opentelemetry-exporter-otlp-proto-http",
                "opentelemetry-instrumentation-openai-v2",
                "opentelemetry-util-genai==1.1b0",
                "openai",
                # imported by the instrumentation; openai >= 3 itself uses httpx2
                "httpx",
            ),
            (
                "opentelemetry-sdk",
                "opentelemetry-instrumentation-openai-v2",
                "opentelemetry-util-genai",
                "openai",
            ),
        ),
        # OTLP exporter: MLflow exports over OTLP when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
        # is set, which is how it reaches the discarding sink.
        Peer(
            "mlflow",
            ("mlflow", "openai", "opentelemetry-exporter-otlp-proto-grpc"),
            ("mlflow", "openai"),
        ),
        Peer("langfuse", ("langfuse", "openai"), ("langfuse", "openai")),
        # The Phoenix server apart from its client SDK: with arize-phoenix installed,
        # `import phoenix.otel` loads the whole server package (~6 s), which an app
        # that only exports spans would never install.
        Peer("phoenix", ("arize-phoenix",), ("arize-phoenix",)),
        Peer(
            "openinference",
            (
                "arize-phoenix-otel",
                "openinference-instrumentation-openai",
                "opentelemetry-exporter-otlp-proto-grpc",
                "openai",
            ),
            ("arize-phoenix-otel", "openinference-instrumentation-openai", "openai"),
        ),
    )
}


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    return Path(override or os.environ.get("SPANWISE_BENCH_CACHE") or DEFAULT_CACHE).resolve()


def venv_dir(name: str, cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / "venvs" / name


def peer_python(name: str, cache: Path | None = None) -> Path:
    return venv_dir(name, cache) / "bin" / "python"


def _marker_text(peer: Peer) -> str:
    return hashlib.sha256(json.dumps(peer.requirements).encode()).hexdigest()


def is_installed(peer: Peer, cache: Path | None = None) -> bool:
    marker = venv_dir(peer.name, cache) / ".spanwise-bench-installed"
    return marker.exists() and marker.read_text().strip() == _marker_text(peer)


def installed_version(name: str, dist: str, cache: Path | None = None) -> str | None:
    py = peer_python(name, cache)
    if not py.exists():
        return None
    out = subprocess.run(
        [str(py), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or None


def _base_python() -> Path:
    cand = (
        Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    )
    return cand if cand.exists() else Path(sys.executable)


class _Progress:
    """One status line per step with a live elapsed-time ticker on a TTY."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._tty = sys.stderr.isatty()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def __enter__(self) -> _Progress:
        if self._tty:
            self._thread.start()
        else:
            print(f"  {self.label} ...", file=sys.stderr, flush=True)
        return self

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            print(
                f"\r  {self.label} ... {time.monotonic() - self.start:5.0f}s",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        status = "failed" if exc[0] else "done"
        print(
            f"\r  {self.label} ... {status} in {time.monotonic() - self.start:.0f}s   ",
            file=sys.stderr,
            flush=True,
        )


def ensure_installed(names: list[str] | None = None, cache: Path | None = None) -> dict[str, Path]:
    """Create/refresh the venvs; returns name -> python executable. Raises on pip failure."""
    cache = cache or cache_dir()
    todo = [PEERS[n] for n in (names or list(PEERS))]
    pythons: dict[str, Path] = {}
    for i, peer in enumerate(todo, 1):
        vdir = venv_dir(peer.name, cache)
        py = peer_python(peer.name, cache)
        pythons[peer.name] = py
        if is_installed(peer, cache):
            print(f"[{i}/{len(todo)}] {peer.name}: already installed", file=sys.stderr)
            continue
        print(f"[{i}/{len(todo)}] {peer.name}: {' '.join(peer.requirements)}", file=sys.stderr)
        vdir.parent.mkdir(parents=True, exist_ok=True)
        log = cache / "logs" / f"pip-{peer.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        if not py.exists():
            with _Progress("create venv"):
                # The base interpreter, not a venv's: venv-of-venv works but symlinks pile up.
                subprocess.run([str(_base_python()), "-m", "venv", str(vdir)], check=True)
        with _Progress(f"pip install (log: {log})"), log.open("w") as fh:
            rc = subprocess.run(
                [str(py), "-m", "pip", "install", "--progress-bar", "off", *peer.requirements],
                stdout=fh,
                stderr=subprocess.STDOUT,
            ).returncode
        if rc != 0:
            tail = log.read_text().splitlines()[-15:]
            raise RuntimeError(f"pip install for {peer.name} failed (rc={rc}):\n" + "\n".join(tail))
        (vdir / ".spanwise-bench-installed").write_text(_marker_text(peer) + "\n")
    return pythons


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cache", default=None)
    ap.add_argument("names", nargs="*", help=f"subset of {list(PEERS)}")
    args = ap.parse_args(argv)
    unknown = [n for n in args.names if n not in PEERS]
    if unknown:
        ap.error(f"unknown peer(s) {unknown}; known: {list(PEERS)}")
    ensure_installed(args.names or None, cache_dir(args.cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
