"""Tokenizer for the filter language: the only place that looks at raw characters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum

from spanwise_collector.filters.errors import FilterError

__all__ = ["KEYWORDS", "MAX_FILTER_LENGTH", "Token", "TokenKind", "tokenize"]

#: Longest filter string accepted; longer input is refused before tokenizing.
MAX_FILTER_LENGTH = 10_000
# Digits in one number literal; Python's int() refuses very long strings anyway.
_MAX_NUMBER_CHARS = 64

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "ASC", "DESC"})


class TokenKind(Enum):
    WORD = "word"  # bare identifier part or keyword
    QUOTED_NAME = "quoted name"  # `backquoted`
    STRING = "string"  # 'single' or "double" quoted
    NUMBER = "number"
    OP = "comparator"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    DOT = "."
    EOF = "end of input"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # source text, for error messages
    value: str | int | Decimal  # decoded string / number / upper-cased keyword
    position: int

    def is_keyword(self, *words: str) -> bool:
        return self.kind is TokenKind.WORD and self.value in words


_WORD_AFTER_DOT = re.compile(r"[A-Za-z0-9_]+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_OPS = ("<=", ">=", "!=", "<>", "=", "<", ">")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"', "`": "`"}


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with an EOF token. Raises FilterError."""
    if not isinstance(text, str):
        raise FilterError(f"filter must be a string, not {type(text).__name__}")
    if len(text) > MAX_FILTER_LENGTH:
        raise FilterError(
            f"filter is too long ({len(text)} characters; the limit is {MAX_FILTER_LENGTH})"
        )
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        prev = tokens[-1].kind if tokens else None
        if ch in "'\"`":
            value, end = _read_quoted(text, i)
            kind = TokenKind.QUOTED_NAME if ch == "`" else TokenKind.STRING
            tokens.append(Token(kind, text[i:end], value, i))
            i = end
            continue
        if prev is TokenKind.DOT and (m := _WORD_AFTER_DOT.match(text, i)):
            # After a dot any run of word characters is a name part (tags.2024, tags.and).
            tokens.append(Token(TokenKind.WORD, m.group(), m.group(), i))
            i = m.end()
            continue
        if m := _WORD.match(text, i):
            word = m.group()
            value = word.upper() if word.upper() in KEYWORDS else word
            tokens.append(Token(TokenKind.WORD, word, value, i))
            i = m.end()
            continue
        if ch == "." and prev in (TokenKind.WORD, TokenKind.QUOTED_NAME, TokenKind.STRING):
            tokens.append(Token(TokenKind.DOT, ".", ".", i))
            i += 1
            continue
        if m := _NUMBER.match(text, i):
            tokens.append(_number_token(m.group(), i))
            i = m.end()
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token(TokenKind.OP, op, "!=" if op == "<>" else op, i))
            i += len(op)
            continue
        simple = {"(": TokenKind.LPAREN, ")": TokenKind.RPAREN, ",": TokenKind.COMMA}
        if ch in simple:
            tokens.append(Token(simple[ch], ch, ch, i))
            i += 1
            continue
        if ch == ".":
            raise FilterError("unexpected '.' with no name before it", i, ("a field name",))
        raise FilterError(f"unexpected character {ch!r}", i, ("a field, value or operator",))
    tokens.append(Token(TokenKind.EOF, "", "", n))
    return tokens


def _number_token(text: str, position: int) -> Token:
    if len(text) > _MAX_NUMBER_CHARS:
        raise FilterError(
            f"number is too long (more than {_MAX_NUMBER_CHARS} characters)", position
        )
    try:
        is_int = not any(c in text for c in ".eE")
        value: int | Decimal = int(text) if is_int else Decimal(text)
    except (ValueError, InvalidOperation):  # pragma: no cover - the regex admits only numbers
        raise FilterError(f"malformed number {text!r}", position, ("a number",)) from None
    return Token(TokenKind.NUMBER, text, value, position)


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Decode a quoted string or name starting at `start`; return (value, end index).

    Backslash escapes \\n \\t \\r \\0 \\\\ \\' \\" \\` are decoded; any other backslash is
    kept as typed so LIKE patterns such as 'a\\%' reach ClickHouse unchanged. A doubled
    quote ('it''s') stands for one quote, as in SQL.
    """
    quote = text[start]
    out: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            if i + 1 >= n:
                break
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == quote:
            if i + 1 < n and text[i + 1] == quote:
                out.append(quote)
                i += 2
                continue
            value = "".join(out)
            _check_unicode(value, start)
            return value, i + 1
        out.append(ch)
        i += 1
    what = "name" if quote == "`" else "string"
    raise FilterError(f"unterminated {what} starting here", start, (f"a closing {quote}",))


def _check_unicode(value: str, position: int) -> None:
    # Lone surrogates cannot be sent to ClickHouse as UTF-8; refuse them here, clearly.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FilterError("string contains invalid Unicode (a lone surrogate)", position) from None
