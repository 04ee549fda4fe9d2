"""Run in a subprocess by the SDK reliability tests: trace calls against a given
endpoint, flush with a timeout, print what happened as one JSON line, then exit
normally (so the interpreter-exit path runs too)."""

from __future__ import annotations

import json
import logging
import sys
import time

import spanwise


def main() -> None:
    endpoint, calls, queue_size, flush_timeout = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        float(sys.argv[4]),
    )
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    spanwise.configure(
        endpoint=endpoint,
        project="child",
        max_queue_size=queue_size,
        max_export_batch_size=min(64, queue_size),
        schedule_delay_ms=50,
        export_timeout_ms=10_000,
        shutdown_timeout_ms=2_000,
    )

    @spanwise.trace
    def work(i: int) -> int:
        return i * 2

    started = time.perf_counter()
    for i in range(calls):
        work(i)
    call_seconds = time.perf_counter() - started
    # Let the worker pick up a batch and get stuck on the endpoint: wait until some span
    # has left the queue (not everything produced is still queued or dropped).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        s = spanwise.stats()
        if s.queued + s.dropped < calls:
            break
        time.sleep(0.01)
    started = time.perf_counter()
    flushed = spanwise.flush(flush_timeout)
    flush_seconds = time.perf_counter() - started
    s = spanwise.stats()
    print(json.dumps({
        "call_seconds": call_seconds, "flushed": flushed, "flush_seconds": flush_seconds,
        "exported": s.exported, "dropped": s.dropped, "failed": s.failed, "queued": s.queued,
        "exit_started": time.time(),
    }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
