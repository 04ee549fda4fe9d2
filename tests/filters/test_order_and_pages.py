"""order_by compilation (run in chDB) and opaque page tokens (keyset paging)."""

from __future__ import annotations

import base64
import json

import pytest
from spanwise_collector.filters import (
    And,
    Comparison,
    FieldRef,
    FilterError,
    InvalidPageToken,
    OrderItem,
    compile_filter,
    compile_order_by,
    decode_page_token,
    encode_page_token,
    parse_filter,
    parse_order_by,
)

from tests.filters.conftest import SCHEMA


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["metrics.rmse ASC"], [1, 2, 5, 4, 3]),  # NaN after values, missing key last
        (["metrics.rmse DESC"], [5, 2, 1, 4, 3]),
        (["t.cost DESC"], [5, 2, 4, 1, 3]),  # NULL cost last
        (["t.cost"], [1, 4, 2, 5, 3]),
        (["tags.env ASC", "t.id DESC"], [5, 3, 1, 2, 4]),
        (["tags.`my key` desc"], [1, 2, 3, 4, 5]),
        (["t.timestamp DESC"], [5, 3, 2, 1, 4]),
        ("t.latency_ms asc", [3, 5, 1, 2, 4]),
        ([], [1, 2, 3, 4, 5]),
        (None, [1, 2, 3, 4, 5]),
    ],
)
def test_order_by_in_chdb(ordered, items, expected):
    assert ordered(items) == expected


def test_order_by_with_filter_keeps_params_apart(ordered):
    assert ordered(["metrics.rmse DESC"], where="metrics.rmse < 30000") == [2, 1]


def test_order_by_keys_are_parameters():
    order = compile_order_by(["tags.`x'; DROP TABLE t` DESC"], SCHEMA)
    assert "DROP" not in order.sql
    assert order.params == {"o0": "x'; DROP TABLE t"}
    assert order.sql.endswith("DESC NULLS LAST")


def test_parse_order_by():
    items = parse_order_by(["metrics.rmse ASC", "attributes.start_time DESC", "tags.`a b`"])
    assert items == [
        OrderItem(FieldRef("metrics", "rmse")),
        OrderItem(FieldRef("attributes", "start_time"), descending=True),
        OrderItem(FieldRef("tags", "a b")),
    ]
    assert [str(i) for i in items] == [
        "metrics.rmse ASC",
        "attributes.start_time DESC",
        "tags.`a b` ASC",
    ]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["t.text ASC"], "cannot order by t.text"),
        (["span.cost DESC"], "cannot order by span.cost"),
        (["t.id UP"], "expected ASC, DESC or end of input but found 'UP'"),
        (["t.id ASC DESC"], "expected ASC, DESC or end of input but found 'DESC'"),
        (["nope.x"], "unknown field 'nope.x'"),
        (["t.id; DROP TABLE t"], "unexpected character ';'"),
        (["t.id"] * 11, "the limit is 10"),
        ([""], "expected a field name"),
    ],
)
def test_order_by_errors(items, message):
    with pytest.raises(FilterError) as info:
        compile_order_by(items, SCHEMA)
    assert message in str(info.value)


def test_page_token_round_trip():
    cursor = {"cost": "0.02", "id": "a1b2", "n": 3, "f": 1.5, "none": None, "xs": [1, "x"]}
    token = encode_page_token(cursor, query="q1")
    assert token.isascii() and "=" not in token and "+" not in token and "/" not in token
    assert decode_page_token(token, cursor.keys(), query="q1") == cursor


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not a token!",
        "%%%%",
        "x" * 5000,
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'{"v": 2, "c": {"id": 1}}').decode(),
        base64.urlsafe_b64encode(b'{"v": 1, "c": {"id": NaN}}').decode(),
        base64.urlsafe_b64encode(b'{"v": 1, "c": {"other": 1}}').decode(),
        base64.urlsafe_b64encode(b'{"v": 1, "c": {"id": 1, "extra": 2}}').decode(),
        encode_page_token({"id": 1}, query="another query"),
    ],
)
def test_bad_page_tokens_are_rejected(token):
    with pytest.raises(InvalidPageToken) as info:
        decode_page_token(token, ["id"], query="q1")
    assert isinstance(info.value, FilterError)
    assert str(info.value).startswith("invalid page token")


def test_token_without_query_binding():
    token = encode_page_token({"id": 7})
    assert decode_page_token(token, {"id"}) == {"id": 7}
    body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert body == {"v": 1, "c": {"id": 7}}


def test_keyset_paging_with_tokens_neither_repeats_nor_skips(ch):
    """Composes a user filter with a cursor predicate built as AST (no string pasting)."""
    user_filter = "t.id != 3"
    seen: list[int] = []
    token = None
    while True:
        node = parse_filter(user_filter)
        if token is not None:
            last = decode_page_token(token, ["id"], query=user_filter)["id"]
            node = And((node, Comparison(FieldRef("t", "id"), ">", last)))
        c = compile_filter(node, SCHEMA)
        rows = ch.query(
            f"SELECT id FROM filters_t WHERE {c.sql} ORDER BY id LIMIT 2", parameters=c.params
        ).result_rows
        seen.extend(r[0] for r in rows)
        if len(rows) < 2:
            break
        token = encode_page_token({"id": rows[-1][0]}, query=user_filter)
    assert seen == [1, 2, 4, 5]
