"""The group-commit writer: batches queued while an insert runs share the next one; a
small batch lingers for more (bigger parts), a big one or a reader's nudge does not."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from spanwise_collector.pipeline.writer import BatchWriter


class _Recorder:
    """A write function that records each group and can hold the first one."""

    def __init__(self, hold_first: bool = False) -> None:
        self.groups: list[list[str]] = []
        self.written = threading.Semaphore(0)
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()

    def __call__(self, items: list[str]) -> None:
        self.entered.set()
        self.release.wait(30)
        self.groups.append(list(items))
        for _ in items:
            self.written.release()

    def wait(self, n: int) -> None:
        for _ in range(n):
            assert self.written.acquire(timeout=30)


@contextlib.contextmanager
def _writer(rec: _Recorder, **options: float) -> Iterator[BatchWriter[str]]:
    writer: BatchWriter[str] = BatchWriter(rec, **options)
    try:
        yield writer
    finally:
        writer.close()


def test_batches_queued_during_an_insert_share_the_next_one() -> None:
    rec = _Recorder(hold_first=True)
    with _writer(rec, linger=0) as writer:
        writer.submit("a", 10)
        assert rec.entered.wait(30)  # "a" is being inserted
        for name in "bcd":
            writer.submit(name, 10)
        rec.release.set()
        rec.wait(4)
        assert rec.groups == [["a"], ["b", "c", "d"]]


def test_small_batch_lingers_until_a_nudge() -> None:
    rec = _Recorder()
    with _writer(rec, linger=60.0, linger_rows=1000) as writer:
        writer.submit("a", 10)
        writer.submit("b", 10)
        assert not rec.written.acquire(timeout=0.3)  # lingering for more rows
        writer.nudge()
        rec.wait(2)
        assert rec.groups == [["a", "b"]]


def test_batch_at_linger_rows_is_written_without_lingering() -> None:
    rec = _Recorder()
    with _writer(rec, linger=60.0, linger_rows=1000) as writer:
        writer.submit("big", 1500)
        rec.wait(1)
        assert rec.groups == [["big"]]


def test_close_writes_what_is_queued() -> None:
    rec = _Recorder()
    writer = BatchWriter(rec, linger=60.0, linger_rows=1000)
    writer.submit("a", 10)
    writer.submit("b", 10)
    writer.close()
    assert [name for group in rec.groups for name in group] == ["a", "b"]
