"""Values a traced call takes and returns, as get_trace reads them back: the same reading
whichever JSON encoder took them, and one odd part never costs the rest."""

from __future__ import annotations

import datetime
import decimal
import enum
import pathlib
import threading
import uuid
from dataclasses import dataclass

import pytest
import spanwise


class Tier(enum.Enum):
    GOLD = "gold"


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@dataclass
class Job:
    id: int
    lock: object  # a field deepcopy cannot copy


WHEN = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
READ = {
    "when": "2024-05-06T07:08:09+00:00",
    "day": "2024-05-06",
    "price": "19.90",
    "id": "00000000-0000-0000-0000-00000000002a",
    "tier": "gold",
    "path": "/data/in.csv",
}


@pytest.mark.parametrize("big", [None, 2**70], ids=["orjson", "std-json"])  # 2**70: no orjson
def test_standard_values_read_the_same_whichever_encoder(sdk, fetch_trace, big):
    seen = {}

    @spanwise.trace
    def book(when, day, price, id, tier, path, big):
        seen["trace_id"] = spanwise.get_current_trace_id()
        return {"price": price, "when": when}

    book(WHEN, WHEN.date(), decimal.Decimal("19.90"), uuid.UUID(int=42), Tier.GOLD,
         pathlib.PurePosixPath("/data/in.csv"), big)  # fmt: skip
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    # Before: "Decimal('19.90')", "PosixPath('/data/in.csv')" always, and with the standard
    # library's encoder "datetime.datetime(2024, 5, 6, …)", "UUID('…')", "<Tier.GOLD: 'gold'>".
    assert span.inputs == {**READ, "big": big}
    assert span.outputs == {"price": "19.90", "when": READ["when"]}


def test_one_unreadable_part_keeps_the_rest(sdk, fetch_trace):
    seen = {}

    @spanwise.trace
    def run(job, extra, big):
        seen["trace_id"] = spanwise.get_current_trace_id()

    run(Job(7, threading.Lock()), Unprintable(), 2**70)
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    # Before: the whole inputs were "<unrepresentable dict>", or the repr of all of them.
    assert span.inputs["extra"] == "<unrepresentable Unprintable>"
    assert span.inputs["job"]["id"] == 7 and "lock" in span.inputs["job"]["lock"]
    assert span.inputs["big"] == 2**70


def test_binary_buffers_are_recorded_by_their_size(sdk, fetch_trace):
    """A bytearray's repr (every byte as \\x00…) took ~1 s and ~200 MB for a 50 MB image
    before being cut to 32,000 characters; a memoryview read '<memory at 0x7f…>'."""
    seen = {}

    @spanwise.trace
    def thumbnail(raw, view, data):
        seen["trace_id"] = spanwise.get_current_trace_id()

    thumbnail(bytearray(5_000_000), memoryview(b"\x00" * 1024), b"abc")
    (span,) = fetch_trace(seen["trace_id"]).data.spans
    assert span.inputs == {
        "raw": "<5000000 bytes>",
        "view": "<1024 bytes>",
        "data": "<3 bytes>",
    }
