"""Paired measurement: one process alternates short blocks with a system off and on.

Comparing separate processes puts the machine's drift (other load, CPU frequency,
the fake server's scheduling) between the two figures; alternating blocks of a few
calls inside one process puts it on both sides of every difference instead. Blocks go
off-on, on-off, … (ABBA) so that a trend within a pair cancels too.

Per call, with ``on``/``off`` toggling the instrumentation in place:

- ``added_thread_cpu_us`` / ``added_wall_us``: median over pairs of (on − off) CPU of
  the calling thread / wall time;
- ``background_cpu_us``: CPU of every other thread (batching exporters, gRPC) from the
  first block to the end of the final flush, plus the calling thread's CPU inside that
  flush, divided by the instrumented calls;
- ``added_cpu_us`` = the two CPU parts summed; ``added_cpu_mean_us`` the same with
  the mean of the pairs' differences.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ["measure_paired"]

Action = Callable[[], Any]


def _block(call: Action, n: int) -> tuple[float, float]:
    """Calling-thread CPU µs and wall µs per call over ``n`` calls."""
    wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
    for _ in range(n):
        call()
    cpu, wall = time.thread_time_ns() - cpu, time.perf_counter_ns() - wall
    return cpu / n / 1000, wall / n / 1000


def measure_paired(
    call: Action,
    on: Action,
    off: Action,
    flush: Action,
    pairs: int,
    block: int,
    warmup: int,
) -> dict[str, Any]:
    state = [True]  # set up on

    def turn(instrumented: bool) -> None:
        if state[0] != instrumented:  # some instrumentors warn on a repeated toggle
            (on if instrumented else off)()
            state[0] = instrumented

    for instrumented in (False, True):
        turn(instrumented)
        for _ in range(warmup):
            call()
    flush()  # the warm-up's spans are not this run's background work
    cpu_diffs: list[float] = []
    wall_diffs: list[float] = []
    base_cpu: list[float] = []
    base_wall: list[float] = []
    process0, thread0 = time.process_time_ns(), time.thread_time_ns()
    for i in range(pairs):
        got: dict[bool, tuple[float, float]] = {}
        for instrumented in (False, True) if i % 2 == 0 else (True, False):
            turn(instrumented)
            got[instrumented] = _block(call, block)
        cpu_diffs.append(got[True][0] - got[False][0])
        wall_diffs.append(got[True][1] - got[False][1])
        base_cpu.append(got[False][0])
        base_wall.append(got[False][1])
    flush_thread0 = time.thread_time_ns()
    flush()
    flush_thread = time.thread_time_ns() - flush_thread0
    process, thread = time.process_time_ns() - process0, time.thread_time_ns() - thread0
    calls_on = pairs * block
    background = (process - thread + flush_thread) / calls_on / 1000
    added_thread = statistics.median(cpu_diffs)
    return {
        "added_cpu_us": added_thread + background,
        # The mean keeps what the median drops: rare costs such as a full GC pass that
        # the spans waiting for export brought on; it is noisier.
        "added_cpu_mean_us": statistics.fmean(cpu_diffs) + background,
        "added_thread_cpu_us": added_thread,
        "background_cpu_us": background,
        "added_wall_us": statistics.median(wall_diffs),
        "base_cpu_us": statistics.median(base_cpu),
        "base_wall_us": statistics.median(base_wall),
        "pairs": pairs,
        "block": block,
        "calls": calls_on,
        "instrumented_calls": warmup + calls_on,
    }
