"""The group-commit writer: small batches wait briefly for requests still being
converted (fewer, bigger inserts); a batch that is already big goes at once, so the
requests still converting overlap its insert instead of waiting for it."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
from spanwise_collector.pipeline.writer import BatchWriter


def _table(rows: int) -> pa.Table:
    return pa.table({"x": list(range(rows))})


class _Recorder:
    def __init__(self) -> None:
        self.inserts: list[int] = []
        self.done = threading.Event()

    def __call__(self, table: pa.Table) -> None:
        self.inserts.append(table.num_rows)
        self.done.set()


def test_big_batch_is_inserted_without_waiting_for_conversions() -> None:
    rec = _Recorder()
    converting = 1  # a request that never finishes converting
    writer = BatchWriter(rec, pending=lambda: converting, linger=30.0, linger_rows=1000)
    try:
        started = time.monotonic()
        writer.submit(_table(1500)).result(timeout=10)
        assert time.monotonic() - started < 10
        assert rec.inserts == [1500]
    finally:
        converting = 0
        writer.close()


def test_small_batches_wait_for_conversions_and_share_one_insert() -> None:
    rec = _Recorder()
    converting = [1]
    writer = BatchWriter(rec, pending=lambda: converting[0], linger=1.0, linger_rows=1000)
    try:
        first = writer.submit(_table(100))
        second = writer.submit(_table(200))  # joins while the writer lingers
        converting[0] = 0
        first.result(timeout=10)
        second.result(timeout=10)
        assert rec.inserts == [300]
    finally:
        writer.close()


def test_lone_request_never_waits() -> None:
    rec = _Recorder()
    writer = BatchWriter(rec, pending=lambda: 0, linger=30.0)
    try:
        writer.submit(_table(10)).result(timeout=10)
        assert rec.inserts == [10]
    finally:
        writer.close()
