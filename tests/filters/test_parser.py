"""Parser: structure, precedence, comparators, quoting, errors with positions, limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from spanwise_collector.filters import (
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_IN_LIST,
    And,
    Comparison,
    FieldRef,
    FilterError,
    InList,
    IsNull,
    Not,
    Or,
    parse_filter,
    to_filter_string,
)


def f(prefix: str, key: str) -> FieldRef:
    return FieldRef(prefix, key)


A = Comparison(f("a", "x"), "=", 1)
B = Comparison(f("b", "x"), "=", 2)
C = Comparison(f("c", "x"), "=", 3)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a.x = 1 OR b.x = 2 AND c.x = 3", Or((A, And((B, C))))),
        ("a.x = 1 AND b.x = 2 OR c.x = 3", Or((And((A, B)), C))),
        ("(a.x = 1 OR b.x = 2) AND c.x = 3", And((Or((A, B)), C))),
        ("NOT a.x = 1 AND b.x = 2", And((Not(A), B))),
        ("NOT (a.x = 1 AND b.x = 2)", Not(And((A, B)))),
        ("NOT a.x = 1 OR NOT b.x = 2", Or((Not(A), Not(B)))),
        ("a.x = 1 AND b.x = 2 AND c.x = 3", And((A, B, C))),
        ("a.x = 1 OR b.x = 2 OR c.x = 3", Or((A, B, C))),
        ("(a.x = 1 AND b.x = 2) AND c.x = 3", And((And((A, B)), C))),
        ("not not a.x = 1", Not(Not(A))),
        ("a.x = 1 and b.x = 2 oR c.x = 3", Or((And((A, B)), C))),
    ],
)
def test_precedence_and_grouping(text, tree):
    assert parse_filter(text) == tree
    assert parse_filter(to_filter_string(tree)) == tree


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("m.k = 1", Comparison(f("m", "k"), "=", 1)),
        ("m.k != 1", Comparison(f("m", "k"), "!=", 1)),
        ("m.k <> 1", Comparison(f("m", "k"), "!=", 1)),
        ("m.k < -1", Comparison(f("m", "k"), "<", -1)),
        ("m.k <= 1.5", Comparison(f("m", "k"), "<=", Decimal("1.5"))),
        ("m.k > 1e-3", Comparison(f("m", "k"), ">", Decimal("0.001"))),
        ("m.k >= -2.5E+3", Comparison(f("m", "k"), ">=", Decimal("-2500"))),
        ("m.k>=.5", Comparison(f("m", "k"), ">=", Decimal("0.5"))),
        ("m.k like 'a%'", Comparison(f("m", "k"), "LIKE", "a%")),
        ("m.k ILIKE 'a%'", Comparison(f("m", "k"), "ILIKE", "a%")),
        ("m.k NOT LIKE 'a%'", Comparison(f("m", "k"), "NOT LIKE", "a%")),
        ("m.k not ilike 'a%'", Comparison(f("m", "k"), "NOT ILIKE", "a%")),
        ("m.k IN ('a', 2, 3.5)", InList(f("m", "k"), ("a", 2, Decimal("3.5")))),
        ("m.k NOT IN ('a')", InList(f("m", "k"), ("a",), negated=True)),
        ("m.k IS NULL", IsNull(f("m", "k"))),
        ("m.k is not null", IsNull(f("m", "k"), negated=True)),
    ],
)
def test_every_comparator(text, node):
    assert parse_filter(text) == node
    assert parse_filter(str(node)) == node


@pytest.mark.parametrize(
    ("text", "prefix", "key"),
    [
        ("span.attributes.`gen_ai.request.model` = 'x'", "span.attributes", "gen_ai.request.model"),
        ("tags.`my key` = 'x'", "tags", "my key"),
        ("tags.\"my key\" = 'x'", "tags", "my key"),
        ("tags.`back\\`tick` = 'x'", "tags", "back`tick"),
        ("tags.`ключ 😀` = 'x'", "tags", "ключ 😀"),
        ("tags.mlflow.runName = 'x'", "tags.mlflow", "runName"),
        ("tags.2024 = 'x'", "tags", "2024"),
        ("tags.and = 'x'", "tags", "and"),
        ("`odd name` = 'x'", "", "odd name"),
        ("status = 'x'", "", "status"),
    ],
)
def test_field_names(text, prefix, key):
    node = parse_filter(text)
    assert node.field == FieldRef(prefix, key)
    assert parse_filter(str(node)) == node


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a.b = 'it''s'", "it's"),
        ("a.b = 'it\\'s'", "it's"),
        ('a.b = "say \\"hi\\""', 'say "hi"'),
        ("a.b = 'tab\\tnl\\nnul\\0'", "tab\tnl\nnul\0"),
        ("a.b = 'back\\\\slash'", "back\\slash"),
        ("a.b = 'keep \\% and \\_'", "keep \\% and \\_"),
        ("a.b = ''", ""),
        ("a.b = '日本語'", "日本語"),
    ],
)
def test_string_escapes(text, value):
    node = parse_filter(text)
    assert node.value == value
    assert parse_filter(str(node)) == node


def _error(text: str) -> FilterError:
    with pytest.raises(FilterError) as info:
        parse_filter(text)
    return info.value


def test_error_names_position_and_comparators():
    err = _error("trace.cost > 1 AND foo.bar baz 3")
    assert err.position == 27
    assert str(err) == (
        "at position 27: expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS)"
        " but found 'baz'"
    )


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("a.b = ", 6, "expected a value (a 'quoted string' or a number) but found end of input"),
        ("(a.b = 1", 8, "expected AND, OR or ')' but found end of input"),
        ("a.b = 1 b.c = 2", 8, "expected AND, OR or end of input but found 'b'"),
        ("a.b IN ()", 8, "expected a value"),
        ("a.b IN (1 2)", 10, "expected ',' or ')' but found '2'"),
        ("a.b IN 1", 7, "expected '(' to start the list of values"),
        ("a.b IS 5", 7, "expected NOT NULL or NULL but found '5'"),
        ("a.b IS NOT 5", 11, "expected NULL"),
        ("a.b NOT 5", 8, "expected IN, LIKE or ILIKE"),
        ("a.b LIKE 5", 9, "expected a 'quoted' pattern"),
        ("AND a.b = 1", 0, "expected a field name but found 'AND'"),
        ("a. = 1", 3, "expected a name part after '.'"),
        ("a.b == 1", 5, "expected a value"),
        ("a.b = NULL", 6, "use IS NULL or IS NOT NULL"),
        ("a.b = 'open", 6, "unterminated string"),
        ("tags.`open = 1", 5, "unterminated name"),
        ("a.b = 1 ; DROP", 8, "unexpected character ';'"),
        ("a.b = 1 AND", 11, "expected a field name but found end of input"),
        ("a.b = 1 OR ()", 12, "expected a field name but found ')'"),
        ("1 = a.b", 0, "expected a field name but found '1'"),
        ("tags.`k`.x = 1", 8, "expected a comparator"),
        ("a.b = 1" + "0" * 70, 6, "number is too long"),
    ],
)
def test_errors_with_positions(text, position, fragment):
    err = _error(text)
    assert err.position == position, str(err)
    assert fragment in str(err)


def test_limits():
    ok = " OR ".join(f"a.b = {i}" for i in range(50))
    assert isinstance(parse_filter(ok), Or)
    assert "too long" in str(_error("a.b = '" + "x" * MAX_FILTER_LENGTH + "'"))
    deep = "(" * (MAX_DEPTH + 1) + "a.b = 1" + ")" * (MAX_DEPTH + 1)
    assert "nested too deeply" in str(_error(deep))
    assert "nested too deeply" in str(_error("NOT " * (MAX_DEPTH + 1) + "a.b = 1"))
    assert parse_filter("(" * 10 + "a.b = 1" + ")" * 10) == Comparison(f("a", "b"), "=", 1)
    values = ", ".join(str(i) for i in range(MAX_IN_LIST))
    assert len(parse_filter(f"a.b IN ({values})").values) == MAX_IN_LIST
    assert f"more than {MAX_IN_LIST} values" in str(_error(f"a.b IN ({values}, 1)"))


def test_empty_filter_is_none():
    assert parse_filter("") is None
    assert parse_filter("   \n\t") is None


def test_non_string_and_bad_unicode_are_filter_errors():
    with pytest.raises(FilterError):
        parse_filter(b"a.b = 1")  # type: ignore[arg-type]
    assert "invalid Unicode" in str(_error("a.b = '\ud800'"))


def test_raw_and_positions_do_not_affect_equality():
    node = parse_filter("  tags.`env` = 'x'")
    assert node.field.raw == "tags.`env`"
    assert node.field.position == 2
    assert node == Comparison(FieldRef("tags", "env"), "=", "x")


def test_canonical_rendering():
    node = parse_filter("tags.`a b` in ('x''y', 1.50) and not (m.k is null or m.k <> -3)")
    assert to_filter_string(node) == (
        "tags.`a b` IN ('x\\'y', 1.50) AND NOT (m.k IS NULL OR m.k != -3)"
    )
    assert str(node) == to_filter_string(node)
