"""Offset pages for run and experiment searches (small result sets, MLflow's paging).

The page token carries the offset and is bound to the query (filter, order, scope) by
a fingerprint, so a token of another search is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spanwise_collector.filters import (
    CompiledFilter,
    CompiledOrderBy,
    FilterError,
    Schema,
    compile_filter,
    compile_order_by,
    decode_page_token,
    encode_page_token,
)

from .errors import QueryError

__all__ = ["MAX_RESULTS", "OffsetPage", "open_offset_page"]

MAX_RESULTS = 50_000


@dataclass(frozen=True)
class OffsetPage:
    where: CompiledFilter
    order: CompiledOrderBy
    offset: int
    max_results: int
    fingerprint: str

    def params(self) -> dict[str, Any]:
        """The filter's and order's parameters plus ``limit`` (one extra row: is there
        a next page?) and ``offset``."""
        return {**self.where.params, **self.order.params,
                "limit": self.max_results + 1, "offset": self.offset}  # fmt: skip

    def cut(self, rows: list[Any]) -> tuple[list[Any], str | None]:
        """The page's rows and the next page's token (None on the last page)."""
        if len(rows) <= self.max_results:
            return rows, None
        token = encode_page_token({"offset": self.offset + self.max_results},
                                  query=self.fingerprint)  # fmt: skip
        return rows[: self.max_results], token


def open_offset_page(
    schema: Schema,
    filter_string: str | None,
    order_by: Sequence[str],
    max_results: int,
    page_token: str | None,
    fingerprint: str,
) -> OffsetPage:
    """Compile the filter and order, read the offset from the token; QueryError if bad."""
    if not 1 <= max_results <= MAX_RESULTS:
        raise QueryError(f"max_results must be between 1 and {MAX_RESULTS}, got {max_results}")
    try:
        where = compile_filter(filter_string or "", schema, param_prefix="f")
        order = compile_order_by(list(order_by), schema, param_prefix="o")
        offset = 0
        if page_token:
            offset = decode_page_token(page_token, ("offset",), query=fingerprint)["offset"]
            if not isinstance(offset, int) or offset < 0:
                raise FilterError("invalid page token: bad offset")
    except FilterError as err:
        raise QueryError(str(err)) from None
    return OffsetPage(where, order, offset, max_results, fingerprint)
