"""`StoredTraces`: which traces a single-writer store can hold, answered from memory.

The pricing stage's count-once rule needs the spans already stored for each trace of a
batch that has an LLM call (costs/ingest.py). Asking the store costs one query per
request, as much CPU as the insert itself (docs/ingest-performance.md), and almost
always answers "none": a trace's spans usually arrive in one request.

An embedded (chDB) store has exactly one writer — this process — so the process can
know every trace it stored: Bloom filters of the trace ids of every table the writer
inserts, plus, loaded at start, the traces stored earlier whose spans end at or after
``coverage_start``. A trace the filters have never seen has nothing stored in the
time window a lookup reads (if the window starts at or after ``coverage_start``),
so the lookup is skipped for it; a false positive only costs the lookup it would
have cost anyway. Not used with a ClickHouse server: other collectors write there too.

Memory stays bounded: filters are generations of ``capacity`` traces; when one too many
is full, the oldest is dropped and ``coverage_start`` moves past the newest span it
held, so lookups whose window reaches that far back go to the store again.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from rbloom import Bloom

__all__ = ["StoredTraces"]

logger = logging.getLogger("spanwise.collector")

_FALSE_POSITIVE_RATE = 0.01
# Startup: traces whose spans end within this much of now are loaded. A lookup reads
# within an hour of the batch's LLM calls (costs/ingest.py), so live traffic is covered.
_LOAD_WINDOW_NS = 3 * 3600 * 10**9

# Paged by trace id (the table's order) so the load never holds more than a page of
# rows in Python; a trace repeated across unmerged parts may be skipped at a page
# boundary only after it was added.
_LOAD_PAGE_SQL = """
SELECT TraceId, toUnixTimestamp64Nano(End) FROM trace_times
WHERE End >= fromUnixTimestamp64Nano({since:Int64}) AND TraceId > {after:String}
ORDER BY TraceId LIMIT {page:UInt64}
"""
_LOAD_PAGE_ROWS = 100_000


class _Generation:
    __slots__ = ("bloom", "count", "max_ns")

    def __init__(self, capacity: int) -> None:
        self.bloom = Bloom(capacity, _FALSE_POSITIVE_RATE)
        self.count = 0
        self.max_ns = 0  # the newest span start (ns) among its traces' spans


class StoredTraces:
    """Trace ids this process's store may hold; thread-safe (one writer, many readers).

    Readers take one snapshot (live generation, older ones, coverage start), replaced
    whole on rotation, so a check never mixes a dropped generation with the coverage
    that still counted on it."""

    def __init__(self, capacity: int = 2_000_000, generations: int = 4) -> None:
        self.capacity = capacity
        self.max_generations = generations
        self._lock = threading.Lock()
        # Coverage None: nothing known until `load` ran; every lookup goes to the store.
        self._state: tuple[_Generation, tuple[_Generation, ...], int | None] = (
            _Generation(capacity), (), None,
        )  # fmt: skip
        # Past the newest span of every dropped generation: no window before it is
        # covered again (also for a rotation before `load` finished).
        self._floor = 0

    @property
    def coverage_start(self) -> int | None:
        return self._state[2]

    # -- readers (request threads) ----------------------------------------------------
    def maybe_stored(self, trace_ids: set[str], since_ns: int) -> set[str]:
        """The traces among ``trace_ids`` that may have a span stored starting at or
        after ``since_ns`` (all of them when that is before the coverage start)."""
        live, older, start = self._state
        if start is None or since_ns < start:
            return set(trace_ids)
        blooms = [live.bloom, *(g.bloom for g in older)]
        try:
            return {t for t in trace_ids if any(t in b for b in blooms)}
        except RuntimeError:  # a filter busy in another thread (not seen): ask the store
            return set(trace_ids)

    # -- writer ----------------------------------------------------------------------
    def add(self, table: Any) -> None:
        """Record the traces of an Arrow table about to be inserted (call BEFORE the
        insert: a reader must never find a stored trace missing from the filters)."""
        import pyarrow.compute as pc

        if not table.num_rows:
            return
        ids = pc.unique(table.column("TraceId")).to_pylist()
        newest = pc.max(table.column("Timestamp")).value or 0
        self._add(ids, newest)

    def _add(self, ids: list[str], newest_ns: int) -> None:
        with self._lock:
            live, older, start = self._state
            if live.count + len(ids) > self.capacity and live.count:
                older = (live, *older)
                live = _Generation(self.capacity)
                while len(older) >= self.max_generations:
                    dropped, older = older[-1], older[:-1]
                    self._floor = max(self._floor, dropped.max_ns + 1)
                if start is not None:
                    start = max(start, self._floor)
            try:
                live.bloom.update(ids)
            except Exception:  # the filters would miss these: cover nothing from now on
                logger.exception("stored-trace filter update failed; lookups stay on")
                self._floor = 2**63
                start = None
            live.count += len(ids)
            live.max_ns = max(live.max_ns, newest_ns)
            self._state = (live, older, start)

    def _cover_from(self, since_ns: int) -> None:
        with self._lock:
            live, older, _ = self._state
            self._state = (live, older, max(since_ns, self._floor))

    # -- start-up ----------------------------------------------------------------------
    def load(self, store: Any, now_ns: int | None = None) -> bool:
        """Fill the filters with the traces stored before this process whose spans end
        within the load window; then lookups in that window are answered from memory.

        Returns False (and stays "covers nothing") when there are more such traces
        than the filters hold; the pricing stage then keeps asking the store."""
        since = (now_ns or time.time_ns()) - _LOAD_WINDOW_NS
        limit = self.capacity * (self.max_generations - 1)
        loaded, after = 0, ""
        while True:
            try:
                rows = store.query(
                    _LOAD_PAGE_SQL, {"since": since, "after": after, "page": _LOAD_PAGE_ROWS}
                )
            except Exception as exc:  # the store answers lookups as before
                logger.warning("could not load the stored trace ids (lookups stay on): %s", exc)
                return False
            if not rows:
                break
            loaded += len(rows)
            if loaded > limit:
                logger.info("more than %d recent traces stored: count-once lookups stay on", limit)
                return False
            # A trace's spans start at or before its End, so max(End) bounds them all.
            self._add([r[0] for r in rows], max(r[1] for r in rows))
            after = rows[-1][0]
        self._cover_from(since)
        return True
