"""Recursive-descent parser: filter text -> typed AST (see ast.py).

Grammar (keywords case-insensitive; precedence NOT > AND > OR):

    filter     := or_expr EOF
    or_expr    := and_expr (OR and_expr)*
    and_expr   := unary (AND unary)*
    unary      := NOT unary | '(' or_expr ')' | predicate
    predicate  := field ( cmp value | [NOT] (LIKE | ILIKE) string
                        | [NOT] IN '(' value (',' value)* ')' | IS [NOT] NULL )
    field      := part ('.' part)*      -- a `backquoted` or "double quoted" part must be last
    value      := string | number
"""

from __future__ import annotations

from spanwise_collector.filters.ast import (
    And,
    Comparison,
    FieldRef,
    InList,
    IsNull,
    Node,
    Not,
    Or,
    Value,
)
from spanwise_collector.filters.errors import FilterError
from spanwise_collector.filters.lexer import Token, TokenKind, tokenize

__all__ = ["MAX_DEPTH", "MAX_IN_LIST", "parse_field", "parse_filter"]

#: Deepest nesting of parentheses and NOTs accepted.
MAX_DEPTH = 32
#: Most values accepted in one IN (...) list.
MAX_IN_LIST = 1_000

_COMPARATOR_HELP = "a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS)"
_VALUE_HELP = "a value (a 'quoted string' or a number)"


def parse_filter(text: str) -> Node | None:
    """Parse filter text; None for an empty or all-blank filter (matches everything)."""
    parser = _Parser(tokenize(text), text)
    if parser.peek().kind is TokenKind.EOF:
        return None
    node = parser.or_expr(depth=0)
    parser.expect_end(("AND", "OR", "end of input"))
    return node


def parse_field(text: str) -> tuple[FieldRef, list[Token]]:
    """Parse the field name at the start of `text`; return it and the tokens after it."""
    parser = _Parser(tokenize(text), text)
    ref = parser.field()
    return ref, parser.tokens[parser.index :]


class _Parser:
    def __init__(self, tokens: list[Token], source: str) -> None:
        self.tokens = tokens
        self.source = source
        self.index = 0

    # -- token helpers -------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.index += 1
        return token

    def fail(self, expected: tuple[str, ...] | str, token: Token | None = None) -> FilterError:
        token = token or self.peek()
        wanted = (expected,) if isinstance(expected, str) else expected
        found = "end of input" if token.kind is TokenKind.EOF else repr(token.text)
        return FilterError(f"expected {_one_of(wanted)} but found {found}", token.position, wanted)

    def expect_end(self, expected: tuple[str, ...]) -> None:
        if self.peek().kind is not TokenKind.EOF:
            raise self.fail(expected)

    def expect(self, kind: TokenKind, expected: str) -> Token:
        if self.peek().kind is not kind:
            raise self.fail(expected)
        return self.advance()

    # -- boolean structure -----------------------------------------------------------
    def or_expr(self, depth: int) -> Node:
        items = [self.and_expr(depth)]
        while self.peek().is_keyword("OR"):
            self.advance()
            items.append(self.and_expr(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self, depth: int) -> Node:
        items = [self.unary(depth)]
        while self.peek().is_keyword("AND"):
            self.advance()
            items.append(self.unary(depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self, depth: int) -> Node:
        token = self.peek()
        if depth >= MAX_DEPTH:
            raise FilterError(
                f"filter is nested too deeply (more than {MAX_DEPTH} levels of NOT/parentheses)",
                token.position,
            )
        if token.is_keyword("NOT"):
            self.advance()
            return Not(self.unary(depth + 1))
        if token.kind is TokenKind.LPAREN:
            self.advance()
            node = self.or_expr(depth + 1)
            if self.peek().kind is not TokenKind.RPAREN:
                raise self.fail(("AND", "OR", "')'"))
            self.advance()
            return node
        return self.predicate()

    # -- predicates ----------------------------------------------------------------------
    def predicate(self) -> Node:
        ref = self.field()
        token = self.peek()
        if token.kind is TokenKind.OP:
            self.advance()
            return Comparison(ref, str(token.value), self.value(), token.position)
        if token.is_keyword("LIKE", "ILIKE"):
            self.advance()
            return Comparison(ref, str(token.value), self.like_pattern(), token.position)
        if token.is_keyword("IN"):
            self.advance()
            return InList(ref, self.value_list(), False, token.position)
        if token.is_keyword("NOT"):
            self.advance()
            nxt = self.peek()
            if nxt.is_keyword("IN"):
                self.advance()
                return InList(ref, self.value_list(), True, token.position)
            if nxt.is_keyword("LIKE", "ILIKE"):
                self.advance()
                return Comparison(ref, f"NOT {nxt.value}", self.like_pattern(), token.position)
            raise self.fail(("IN", "LIKE", "ILIKE"))
        if token.is_keyword("IS"):
            self.advance()
            negated = self.peek().is_keyword("NOT")
            if negated:
                self.advance()
            if not self.peek().is_keyword("NULL"):
                raise self.fail(("NOT NULL", "NULL") if not negated else ("NULL",))
            self.advance()
            return IsNull(ref, negated, token.position)
        raise self.fail(_COMPARATOR_HELP)

    def field(self) -> FieldRef:
        first = self.peek()
        parts: list[str] = []
        while True:
            token = self.peek()
            quoted = token.kind is TokenKind.QUOTED_NAME or (
                token.kind is TokenKind.STRING and parts  # MLflow: tags."my key"
            )
            if quoted:
                self.advance()
                parts.append(str(token.value))
                break  # a quoted part holds the whole key, so it ends the name
            if token.kind is TokenKind.WORD and (parts or token.text.upper() not in _RESERVED):
                self.advance()
                parts.append(token.text)
                if self.peek().kind is not TokenKind.DOT:
                    break
                self.advance()
                continue
            expected = "a field name" if not parts else "a name part after '.'"
            raise self.fail(expected, token)
        last = self.tokens[self.index - 1]
        raw = self.source[first.position : last.position + len(last.text)]
        return FieldRef(".".join(parts[:-1]), parts[-1], raw, first.position)

    def value(self) -> Value:
        token = self.peek()
        if token.kind in (TokenKind.STRING, TokenKind.NUMBER):
            self.advance()
            return token.value
        if token.is_keyword("NULL"):
            raise FilterError(
                "NULL is not a value here; use IS NULL or IS NOT NULL",
                token.position,
                (_VALUE_HELP,),
            )
        raise self.fail(_VALUE_HELP)

    def like_pattern(self) -> str:
        if self.peek().kind is not TokenKind.STRING:
            raise self.fail("a 'quoted' pattern")
        return str(self.advance().value)

    def value_list(self) -> tuple[Value, ...]:
        self.expect(TokenKind.LPAREN, "'(' to start the list of values")
        values = [self.value()]
        while self.peek().kind is TokenKind.COMMA:
            self.advance()
            if len(values) >= MAX_IN_LIST:
                raise FilterError(
                    f"IN list has more than {MAX_IN_LIST} values", self.peek().position
                )
            values.append(self.value())
        if self.peek().kind is not TokenKind.RPAREN:
            raise self.fail(("',' or ')'",))
        self.advance()
        return tuple(values)


def _one_of(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


# Keywords that cannot start a field name (backquote them to use them as names).
_RESERVED = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"})
