"""Compiled filters run in real chDB against a known table; assert the exact rows."""

from __future__ import annotations

import pytest
from spanwise_collector.filters import FilterError, compile_filter

from tests.filters.conftest import ALL_IDS, SCHEMA

CASES = [
    # integers and every comparator
    ("t.id = 1", {1}),
    ("t.id != 1", {2, 3, 4, 5}),
    ("t.id <> 1", {2, 3, 4, 5}),
    ("t.id < 3", {1, 2}),
    ("t.id <= 3", {1, 2, 3}),
    ("t.id > 3", {4, 5}),
    ("t.id >= 3", {3, 4, 5}),
    ("t.id IN (1, 3, 99)", {1, 3}),
    ("t.id NOT IN (1, 3)", {2, 4, 5}),
    ("t.tokens > 99.5", {1, 2}),
    ("t.tokens >= 1e3", {2}),
    ("t.tokens > -1", ALL_IDS),
    # strings: quoting, escapes, LIKE family
    ("t.name = 'checkout'", {1}),
    ("t.name != 'checkout'", {2, 3, 4, 5}),
    ("t.name LIKE 'checkout%'", {1, 2}),
    ("t.name LIKE 'CHECKOUT%'", set()),
    ("t.name ILIKE 'CHECKOUT%'", {1, 2}),
    ("t.name NOT LIKE 'checkout%'", {3, 4, 5}),
    ("t.name NOT ILIKE 'CHECK%'", {3, 4, 5}),
    ("t.name = 'O\\'Brien'", {3}),
    ('t.name = "O\'Brien"', {3}),
    ("t.name = 'O''Brien'", {3}),
    ("t.name = 'back\\\\slash'", {4}),
    ("t.name LIKE '%\\\\\\\\%'", {4}),
    ("t.name IN ('checkout', 'O\\'Brien')", {1, 3}),
    ("t.name > 'c'", {1, 2}),
    # enums (case-insensitive, mapped to stored values) and an alias
    ("t.status = 'ERROR'", {2, 4}),
    ("t.status = 'error'", {2, 4}),
    ("t.status != 'OK'", {2, 4}),
    ("t.status IN ('OK')", {1, 3, 5}),
    ("t.status NOT IN ('OK', 'ERROR')", set()),
    ("status = 'STATUS_OK'", {1, 3, 5}),
    ("attributes.status2 = 'status_error'", {2, 4}),
    # decimals with NULLs: comparisons are false on NULL, NOT is the complement
    ("t.cost > 0.01", {2, 5}),
    ("t.cost >= 0.01", {2, 4, 5}),
    ("t.cost = 0.005", {1}),
    ("t.cost != 0.005", {2, 4, 5}),
    ("t.cost IS NULL", {3}),
    ("t.cost IS NOT NULL", {1, 2, 4, 5}),
    ("NOT t.cost > 0.01", {1, 3, 4}),
    ("t.cost IN (0.02, 1.5)", {2, 5}),
    ("t.cost < 1e-2", {1}),
    ("t.cost > -1", {1, 2, 4, 5}),
    ("t.cost = 0.000000001", set()),
    # computed numeric expression
    ("t.latency_ms > 1000", {1, 2, 4}),
    ("t.latency_ms <= 500", {3, 5}),
    # datetimes: ISO-8601 (zones, fractions) and epoch milliseconds
    ("t.timestamp >= '2026-01-01'", {1, 2, 3, 5}),
    ("t.timestamp < '2026-01-01T00:00:00Z'", {4}),
    ("t.timestamp > '2026-01-02T12:00:00.4'", {2, 3, 5}),
    ("t.timestamp = '2026-01-02 12:00:00.500'", {2}),
    ("t.timestamp >= '2026-01-02T13:00:00+01:00'", {2, 3, 5}),
    ("t.timestamp < 1767225600000", {4}),
    ("t.timestamp IN ('2026-01-03', 1767225600000)", {1, 3}),
    ("t.timestamp > 1767225599999.9995", {1, 2, 3, 5}),
    ("t.timestamp > 1767225599999.5", {1, 2, 3, 4, 5}),
    # string map: presence semantics, keys with dots/spaces/quotes, numeric casts
    ("tags.env = 'prod'", {1, 3}),
    ("tags.env != 'prod'", {2, 5}),
    ("NOT tags.env = 'prod'", {2, 4, 5}),
    ("tags.env IS NULL", {4}),
    ("tags.env IS NOT NULL", {1, 2, 3, 5}),
    ("tags.`my key` = 'v1'", {1}),
    ("tags.\"my key\" = 'v1'", {1}),
    ("tags.`gen_ai.request.model` = 'gpt-4o'", {1}),
    ("tags.gen_ai.request.model = 'gpt-4o'", {1}),
    ("tags.env IN ('prod', 'dev')", {1, 3, 5}),
    ("tags.env NOT IN ('prod')", {2, 5}),
    ("tags.env LIKE 'pro%'", {1, 3}),
    ("tags.env ILIKE 'PRO%'", {1, 3}),
    ("tags.n > 6", {2}),
    ("tags.n = 5", {1}),
    ("tags.n <= 10", {1, 2}),
    ("NOT tags.n > 6", {1, 3, 4, 5}),
    ("tags.n IN (5, 10)", {1, 2}),
    ("tags.n = 'abc'", {3}),
    ("tags.`x'; DROP` = '1'", {5}),
    ("tags.quote = 'it\\'s \"q\"'", {3}),
    ("tags.team != 'a'", {5}),
    ("tags.missing != 'x'", set()),
    # numeric map: missing key never matches; NaN compares false except !=
    ("metrics.rmse < 1", {1}),
    ("metrics.rmse >= 1", {2, 5}),
    ("metrics.rmse != 0.5", {2, 4, 5}),
    ("metrics.rmse IS NULL", {3}),
    ("metrics.loss < 0", {4}),
    ("metrics.loss = -2", {4}),
    ("metrics.rmse < 30000", {1, 2}),
    ("metrics.rmse IN (0.5, 1.5)", {1, 2}),
    ("metrics.r2 > 0.5 OR metrics.loss < 0", {1, 4}),
    ("metrics.rmse > 1e3", {5}),
    # nullable string column
    ("t.output = ''", {5}),
    ("t.output IS NULL", {3}),
    ("t.output != 'ok'", {2, 4, 5}),
    # text search: case-insensitive substring over input and output
    ("t.text = 'refund'", {1, 5}),
    ("t.text = 'REFUND'", {1, 5}),
    ("t.text != 'refund'", {2, 3, 4}),
    ("t.text = 'ünïcødé'", {3}),
    ("t.text = '😀'", {3}),
    ("t.text = 'drop table'", {2}),
    ("t.text = '%_'", {4}),
    ("t.text LIKE '%100\\%%'", {4}),
    ("t.text = 'newline'", {5}),
    ("t.text = '\\n'", {5}),
    ("t.text ILIKE '%select%'", {4}),
    ("t.text NOT ILIKE '%select%'", {1, 2, 3, 5}),
    # precedence: NOT > AND > OR, parentheses, case-insensitive keywords
    ("t.id = 1 OR t.id = 2 AND t.id = 3", {1}),
    ("(t.id = 1 OR t.id = 2) AND t.id = 2", {2}),
    ("NOT t.id = 1 AND t.id < 3", {2}),
    ("NOT (t.id = 1 AND t.id < 3)", {2, 3, 4, 5}),
    ("NOT (t.id = 1 OR t.id = 2) OR t.id = 1", {1, 3, 4, 5}),
    ("t.id = 1 or t.id = 2 and not t.id = 2", {1}),
    ("NOT NOT t.id = 1", {1}),
    ("t.id = 1 aNd NoT t.status = 'ERROR' Or t.name LiKe 'O%'", {1, 3}),
    ("((((t.id = 4))))", {4}),
    ("", ALL_IDS),
    # span predicates wrapped into a subquery; adjacent ones share one span
    ("span.model = 'gpt-4o'", {1, 2, 4}),
    ("span.model = 'gpt-4o' AND span.cost > 0.005", {2}),
    ("span.model = 'gpt-4o' AND t.id > 1 AND span.cost > 0.005", {2}),
    ("span.model = 'claude' OR span.cost > 0.01", {1, 2, 3, 4}),
    ("NOT span.model = 'claude'", {2, 5}),
    ("span.cost >= 0.01 AND tags.env = 'staging'", {2}),
    ("span.model = 'gpt-4o' AND (span.cost = 0 OR span.cost > 0.01)", {2, 4}),
    # injection attempts inside strings are matched literally
    ("t.name = '''; DROP TABLE filters_t; --'", {5}),
    ("t.name = '1; DROP TABLE filters_t'", set()),
    ("t.name = 'x\\' OR 1=1 --'", set()),
    ("tags.env = '\\' OR \\'1\\'=\\'1'", set()),
    ("t.text = 'SELECT'", {4}),
    ("t.name LIKE '%\\'%'", {3, 5}),
    ("t.name = '{p1:String}'", set()),
    ("tags.`env'] OR 1=1 --` = 'prod'", set()),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_filter_selects_exact_rows(ids, text, expected):
    assert ids(text) == expected


REJECTED = [
    "t.id = 1; DROP TABLE filters_t",
    "t.id = 1 -- comment",
    "t.id = 1 /* x */",
    "t.name = checkout",
    "t.id = 1 UNION SELECT 1",
    "tags.env = 'a' OR 1=1",
    "t.name = 'unterminated",
    "t.id = 1) OR (1=1",
    "t.name = 'a' || 'b'",
]


@pytest.mark.parametrize("text", REJECTED)
def test_injection_outside_strings_is_rejected_and_table_survives(ch, text):
    with pytest.raises(FilterError):
        compile_filter(text, SCHEMA)
    assert ch.query("SELECT count() FROM filters_t").result_rows == [(5,)]


def test_table_survives_every_case(ch):
    assert ch.query("SELECT count() FROM filters_t").result_rows == [(5,)]
    assert ch.query("SELECT count() FROM filters_spans").result_rows == [(6,)]


def test_values_and_keys_are_parameters_not_sql():
    c = compile_filter("tags.`my key` = 'DROP' AND t.text = 'x' AND t.cost > 0.5", SCHEMA)
    assert "DROP" not in c.sql and "my key" not in c.sql and "0.5" not in c.sql
    assert sorted(c.params.values(), key=str) == sorted(["my key", "DROP", "x", 0.5], key=str)
    assert "{p0:String}" in c.sql and "{p3:Decimal(38, 9)}" in c.sql


def test_param_prefix_keeps_fragments_apart(ch):
    a = compile_filter("t.id > 1", SCHEMA, param_prefix="a")
    b = compile_filter("t.id < 4", SCHEMA, param_prefix="b")
    rows = ch.query(
        f"SELECT id FROM filters_t WHERE {a.sql} AND {b.sql} ORDER BY id",
        parameters={**a.params, **b.params},
    ).result_rows
    assert [r[0] for r in rows] == [2, 3]


TYPE_ERRORS = [
    ("metrics.rmse < 'abc'", "expected a number"),
    ("t.cost = 'x'", "expected a number"),
    ("t.cost = 0.0000000001", "at most 9 decimal places"),
    ("t.cost > 1e40", "out of range"),
    ("t.latency_ms > 1e400", "out of range"),
    ("t.timestamp > 'yesterday'", "ISO-8601"),
    ("t.timestamp > '2026-13-01'", "ISO-8601"),
    ("t.timestamp > 1e30", "outside"),
    ("t.status = 'maybe'", "must be one of OK, ERROR"),
    ("t.status LIKE 'O%'", "LIKE is not allowed on t.status"),
    ("t.cost LIKE '1'", "LIKE is not allowed on t.cost"),
    ("t.text IN ('a')", "t.text supports"),
    ("t.text IS NULL", "t.text supports"),
    ("t.text = 5", "needs a 'quoted string'"),
    ("tags.n IN ('a', 5)", "mixes strings and numbers"),
    ("t.name LIKE 'a\\\\'", "ends with an escape backslash"),
    ("t.text NOT ILIKE '\\\\'", "ends with an escape backslash"),
    ("foo.bar = 1", "unknown field 'foo.bar'; allowed: "),
]


@pytest.mark.parametrize(("text", "message"), TYPE_ERRORS)
def test_type_errors(text, message):
    with pytest.raises(FilterError) as info:
        compile_filter(text, SCHEMA)
    assert message in str(info.value)
    assert str(info.value).startswith("at position ")


def test_unknown_field_lists_fields_and_prefixes():
    with pytest.raises(FilterError) as info:
        compile_filter("t.cost > 1 AND nope = 1", SCHEMA)
    err = info.value
    assert err.position == 15
    assert "tags.<key>" in err.expected and "metrics.<key>" in err.expected
    assert "t.cost" in err.expected


def test_asts_built_in_code(ids):
    """Callers (keyset cursors) build ASTs directly: floats and datetimes are accepted,
    unknown operators never reach SQL."""
    from datetime import datetime

    from spanwise_collector.filters import And, Comparison, FieldRef, InList

    rmse = FieldRef("metrics", "rmse")
    assert ids(Comparison(rmse, ">", 0.5)) == {2, 5}
    assert ids(Comparison(FieldRef("t", "cost"), "<", 0.01)) == {1}
    assert ids(InList(FieldRef("t", "latency_ms"), (100.0, 500.0))) == {3, 5}
    since = Comparison(FieldRef("t", "timestamp"), ">=", datetime(2026, 1, 2))
    assert ids(And((since, Comparison(FieldRef("t", "id"), "<", 5)))) == {2, 3}
    for bad in (Comparison(rmse, "= 1 OR 1 =", 1), Comparison(rmse, ">", float("nan"))):
        with pytest.raises(FilterError):
            compile_filter(bad, SCHEMA)
