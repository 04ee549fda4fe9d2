"""A stalled, absent or erroring collector never slows, blocks or floods the app."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.reliability._blackhole import Blackhole, ScriptedCollector, free_port
from tests.support.collector import source_env

CHILD = [sys.executable, "-m", "tests.reliability._sdk_child"]


def run_child(
    endpoint: str, calls: int, queue_size: int, flush_timeout: float
) -> tuple[dict, str, float]:
    env = source_env()
    env.pop("SPANWISE_RAISE_INTERNAL_ERRORS", None)
    proc = subprocess.run(
        [*CHILD, endpoint, str(calls), str(queue_size), str(flush_timeout)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    ended = time.time()
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result, proc.stderr, ended - result["exit_started"]


@pytest.mark.slow
def test_stalled_collector_costs_bounded_time_memory_and_one_warning():
    hole = Blackhole()
    try:
        result, stderr, exit_seconds = run_child(hole.endpoint, calls=3000, queue_size=200,
                                                 flush_timeout=1.0)  # fmt: skip
    finally:
        hole.close()
    # The export thread is stuck on a 10 s RPC; none of that reaches the calls.
    assert result["call_seconds"] < 5, result
    # flush(1.0) gives up after its timeout instead of the 10 s export deadline.
    assert result["flushed"] is False and result["flush_seconds"] < 3, result
    # Exit waits at most shutdown_timeout_ms (2 s), not the export deadline or 30 s.
    assert exit_seconds < 6, exit_seconds
    # Memory is bounded by the queue: everything beyond it was dropped and counted.
    assert result["queued"] <= 200
    assert result["dropped"] >= 3000 - 200 - 64, result
    assert result["exported"] == 0
    # One warning about the full queue, not one per span; OTel's per-attempt lines held back.
    assert stderr.count("span queue is full") == 1, stderr
    assert "opentelemetry" not in stderr, stderr


@pytest.mark.slow
def test_unreachable_collector_warns_once_and_exits_promptly():
    port = free_port()  # nothing listens: connection refused → UNAVAILABLE, retried
    result, stderr, exit_seconds = run_child(f"http://127.0.0.1:{port}", calls=50,
                                             queue_size=1000, flush_timeout=1.0)  # fmt: skip
    assert result["flushed"] is False and result["flush_seconds"] < 3, result
    assert exit_seconds < 6, exit_seconds
    assert result["dropped"] + result["failed"] + result["queued"] == 50 or result["queued"] <= 50
    assert stderr.count("spanwise: cannot export") <= 1, stderr
    assert "opentelemetry" not in stderr, stderr


def test_erroring_collector_logs_one_warning_and_counts_failures():
    import grpc

    collector = ScriptedCollector(lambda n: (grpc.StatusCode.INVALID_ARGUMENT, "bad spans", None))
    try:
        result, stderr, _ = run_child(collector.endpoint, calls=300, queue_size=1000,
                                      flush_timeout=10.0)  # fmt: skip
    finally:
        collector.stop()
    assert result["flushed"] is True, result
    assert result["failed"] == 300 and result["exported"] == 0, result
    # Permanent error: every batch was tried exactly once (no retries).
    assert sum(collector.calls) == 300
    assert stderr.count("spanwise: cannot export") == 1, stderr
    assert "bad spans" in stderr  # the warning says why
    assert "opentelemetry" not in stderr, stderr


RUNS_AND_SPANS_CHILD = """
import sys, time
import spanwise

spanwise.configure(endpoint=sys.argv[1], project="child", shutdown_timeout_ms=2_000)

@spanwise.trace
def work(i):
    return i

spanwise.set_experiment("down")
with spanwise.start_run():
    spanwise.log_param("p", 1)
    spanwise.log_metric("m", 1.0)
    work(1)
spanwise.start_run(run_name="left open")  # ended at exit
print(time.time(), flush=True)
"""


def test_exit_with_runs_and_spans_waits_at_most_shutdown_timeout():
    """Run events and spans share one ``shutdown_timeout_ms`` at exit (it was 10 s for
    run events, twice, after the spans' wait: 20 s to exit with the collector down)."""
    port = free_port()  # nothing listens
    env = source_env()
    env.pop("SPANWISE_RAISE_INTERNAL_ERRORS", None)
    proc = subprocess.run(
        [sys.executable, "-c", RUNS_AND_SPANS_CHILD, f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    exit_seconds = time.time() - float(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 0, proc.stderr
    assert exit_seconds < 4, (exit_seconds, proc.stderr)
    assert "not every run event reached the collector before exit" in proc.stderr


SHORT_SCRIPT_CHILD = """
import logging, sys
import spanwise

logging.basicConfig(level=logging.WARNING)
spanwise.configure(endpoint=sys.argv[1], shutdown_timeout_ms=1_000)

@spanwise.trace
def work(i):
    return i

for i in range(3):
    work(i)
"""


def test_spans_given_up_at_exit_are_reported():
    """A short script with the collector down: its first export is still retrying at
    exit, so nothing had been logged and its spans were dropped without a word."""
    port = free_port()  # nothing listens
    env = source_env()
    env.pop("SPANWISE_RAISE_INTERNAL_ERRORS", None)
    proc = subprocess.run(
        [sys.executable, "-c", SHORT_SCRIPT_CHILD, f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"3 span(s) not delivered to 127.0.0.1:{port}" in proc.stderr, proc.stderr
    assert "Connection refused" in proc.stderr  # says why
