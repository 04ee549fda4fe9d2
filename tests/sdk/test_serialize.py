"""Captured values as JSON: orjson's fast path and the standard library behind it give
the same data; what orjson refuses still comes out."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spanwise._internal import serialize
from spanwise._internal.serialize import to_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_plain_data_round_trips(value):
    assert json.loads(to_json(value, 1_000_000)) == value


def test_the_fast_path_is_taken():
    serialize.to_json({"a": 1}, 100)
    assert serialize._ORJSON, "orjson is a dependency of the SDK"
    assert to_json({"a": [1, 2]}, 100) == '{"a":[1,2]}'


@dataclass
class Point:
    x: int
    y: int


class Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({1: "a", None: "b", 2.5: "c"}, {"1": "a", "null": "b", "2.5": "c"}),
        ({"big": 2**80}, {"big": 2**80}),  # beyond orjson's 64 bits: the standard library
        ({"p": Point(1, 2)}, {"p": {"x": 1, "y": 2}}),
        ({"s": {3}}, {"s": [3]}),
        ({"b": b"abc"}, {"b": "<3 bytes>"}),
        ({"o": Opaque()}, {"o": "<opaque>"}),
        ("é → ✓", "é → ✓"),
    ],
)
def test_values_json_cannot_take_as_is(value, expected):
    assert json.loads(to_json(value, 10_000)) == expected


def test_circular_and_unencodable_values_fall_back_to_repr():
    loop: list = []
    loop.append(loop)
    assert json.loads(to_json(loop, 1000)) == "[[...]]"

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    assert json.loads(to_json(Broken(), 1000)) == "<unrepresentable Broken>"


def test_long_values_are_truncated_with_a_marker():
    text = to_json({"t": "x" * 500}, 100)
    assert text.startswith('{"t":"xxx') and text.endswith("...[truncated 408 chars]")


def test_numpy_values_become_numbers_and_big_arrays_a_summary():
    np = pytest.importorskip("numpy")
    value = {"s": np.float32(0.5), "i": np.int64(3), "b": np.bool_(True), "a": np.eye(2)[:, ::-1]}
    assert json.loads(to_json(value, 10_000)) == {
        "s": 0.5,
        "i": 3,
        "b": True,
        "a": [[0, 1], [1, 0]],
    }
    big = json.loads(to_json(np.zeros(serialize.MAX_ARRAY_ITEMS + 1), 10_000))
    assert big.startswith("array([0., 0., 0., ...")
