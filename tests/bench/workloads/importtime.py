"""Import-time workload: wall time of importing BENCH_IMPORT (comma-separated modules)."""

from __future__ import annotations

import time

_start = time.perf_counter()

import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402


def main() -> None:
    t0 = time.perf_counter()
    for mod in os.environ["BENCH_IMPORT"].split(","):
        importlib.import_module(mod)
    print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}), flush=True)


if __name__ == "__main__":
    main()
