"""Hypothesis: any text fails only with FilterError; valid ASTs round-trip through text;
compiled SQL of valid ASTs runs in chDB, never pastes values, and NOT is a complement."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spanwise_collector.filters import (
    And,
    Comparison,
    FieldRef,
    FilterError,
    InList,
    IsNull,
    Not,
    Or,
    compile_filter,
    parse_filter,
    to_filter_string,
)

from tests.filters.conftest import ALL_IDS, SCHEMA

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DB = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

text_values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
numbers = st.one_of(
    st.integers(-(10**15), 10**15),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
    ),
    st.sampled_from([Decimal("1E+3"), Decimal("-2.5E-7"), Decimal("0E-9")]),
)
# A LIKE pattern may not end in a lone escape backslash (a FilterError, tested elsewhere).
like_values = text_values.map(lambda s: s.rstrip("\\"))
ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
likes = st.sampled_from(["LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"])

# ---------------------------------------------------------------- random text --------
SNIPPETS = [
    "t.id", "tags.`a b`", "metrics.rmse", "t.text", "t.cost", "t.timestamp", "span.model",
    "=", "!=", "<", ">=", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL", "AND", "OR", "(", ")",
    ",", "'x'", "\"y\"", "'", "`", "\\", "1", "-2.5e3", ".", ";", "--", "DROP TABLE t",
    "'2026-01-01'", "'%'", "😀", "\x00",
]  # fmt: skip
random_text = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(SNIPPETS), max_size=16).map(" ".join),
)


@FUZZ
@given(random_text)
def test_random_text_raises_only_filter_errors(text):
    try:
        node = parse_filter(text)
    except FilterError as err:
        assert err.position is None or 0 <= err.position <= len(text)
        return
    if node is not None:
        assert parse_filter(to_filter_string(node)) == node


@DB
@given(random_text)
def test_random_text_compiles_or_fails_cleanly_and_runs(ids, text):
    try:
        compile_filter(text, SCHEMA)
    except FilterError:
        return
    assert ids(text) <= ALL_IDS


# ---------------------------------------------------------- round trip of any AST ----
RESERVED = {"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"}
first_part = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True).filter(
    lambda w: w.upper() not in RESERVED
)
later_part = st.from_regex(r"[A-Za-z0-9_]{1,5}", fullmatch=True)
prefixes = st.one_of(
    st.just(""),
    st.builds(lambda a, rest: ".".join([a, *rest]), first_part, st.lists(later_part, max_size=2)),
)
field_refs = st.builds(FieldRef, prefixes, st.one_of(text_values, later_part))
values = st.one_of(text_values, numbers)


def _leaves(fields, value_strategy):
    return st.one_of(
        st.builds(Comparison, fields, ops, value_strategy),
        st.builds(Comparison, fields, likes, text_values),
        st.builds(
            InList,
            fields,
            st.lists(value_strategy, min_size=1, max_size=4).map(tuple),
            st.booleans(),
        ),
        st.builds(IsNull, fields, st.booleans()),
    )


def _trees(leaves):
    return st.recursive(
        leaves,
        lambda kids: st.one_of(
            st.lists(kids, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
            st.lists(kids, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
            kids.map(Not),
        ),
        max_leaves=8,
    )


@FUZZ
@given(_trees(_leaves(field_refs, values)))
def test_valid_ast_round_trips(tree):
    text = to_filter_string(tree)
    assert parse_filter(text) == tree
    assert str(tree) == text


# ------------------------------------------------- schema-valid ASTs against chDB ----
def ref(name: str) -> FieldRef:
    prefix, _, key = name.rpartition(".")
    return FieldRef(prefix, key)


map_keys = st.sampled_from(
    ["env", "team", "n", "my key", "gen_ai.request.model", "nope", "x'; DROP"]
)
decimals9 = st.decimals(
    allow_nan=False, allow_infinity=False, places=9, min_value=-100, max_value=100
)
datetimes = st.datetimes(datetime(1901, 1, 1), datetime(2262, 1, 1)).map(
    lambda d: d.replace(tzinfo=timezone.utc).isoformat()
)
epoch_ms = st.integers(-2_000_000_000_000, 9_000_000_000_000)


def _typed(fields, value_strategy, with_null=True, comparators=ops):
    fields = st.sampled_from(fields).map(ref) if isinstance(fields, list) else fields
    leaves = [
        st.builds(Comparison, fields, comparators, value_strategy),
        st.builds(
            InList,
            fields,
            st.lists(value_strategy, min_size=1, max_size=3).map(tuple),
            st.booleans(),
        ),
    ]
    if with_null:
        leaves.append(st.builds(IsNull, fields, st.booleans()))
    return st.one_of(*leaves)


schema_leaves = st.one_of(
    _typed(["t.id", "t.tokens", "t.latency_ms"], numbers),
    _typed(["t.cost", "span.cost"], decimals9),
    _typed(["t.timestamp"], st.one_of(datetimes, epoch_ms)),
    _typed(["t.status"], st.sampled_from(["OK", "error"]), False, st.sampled_from(["=", "!="])),
    _typed(["t.name", "t.output", "span.model"], text_values),
    _typed(st.builds(FieldRef, st.just("tags"), map_keys), text_values),
    _typed(st.builds(FieldRef, st.just("tags"), map_keys), numbers),
    _typed(
        st.builds(FieldRef, st.just("metrics"), st.sampled_from(["rmse", "loss", "nope"])), numbers
    ),
    st.builds(Comparison, st.sampled_from(["t.name", "tags.env"]).map(ref), likes, like_values),
    st.builds(Comparison, st.just(ref("t.text")), st.sampled_from(["=", "!="]), text_values),
    st.builds(Comparison, st.just(ref("t.text")), likes, like_values),
)
_PLACEHOLDER = re.compile(r"\{[a-z]+\d+:[A-Za-z0-9(), ']+\}")


@DB
@given(_trees(schema_leaves))
def test_compiled_random_ast_runs_and_not_is_complement(ids, tree):
    compiled = compile_filter(tree, SCHEMA)
    # Nothing user-supplied reaches the SQL text: no quotes, backslashes or semicolons.
    bare = _PLACEHOLDER.sub("?", compiled.sql)
    assert not re.search(r"['\"\\;`]", bare), compiled.sql
    matched = ids(tree)
    assert ids(Not(tree)) == ALL_IDS - matched
    assert ids(to_filter_string(tree)) == matched
