"""One filter language for trace, span and run search.

    filter text --lexer--> tokens --parser--> typed AST --compile(schema)--> SQL + params

Filters are parsed, never pasted into SQL: values and map keys become ClickHouse
server-side parameters (`{p0:String}`), and only SQL declared in a Schema appears in
the query.

    schema = Schema(
        Field("trace.cost", sql="TotalCost", type=DECIMAL, nullable=True),
        Prefix("tags", sql_template="Tags[{key}]", presence="mapContains(Tags, {key})"),
    )
    where = compile_filter("trace.cost > 0.01 AND tags.env = 'prod'", schema)
    order = compile_order_by(["trace.cost DESC"], schema)
    client.query(f"SELECT ... WHERE {where.sql} ORDER BY {order.sql}",
                 parameters={**where.params, **order.params})
"""

from spanwise_collector.filters.ast import (
    And,
    Comparison,
    FieldRef,
    InList,
    IsNull,
    Node,
    Not,
    Or,
    to_filter_string,
)
from spanwise_collector.filters.compile import CompiledFilter, compile_filter
from spanwise_collector.filters.errors import FilterError, InvalidPageToken
from spanwise_collector.filters.lexer import MAX_FILTER_LENGTH
from spanwise_collector.filters.order_by import (
    CompiledOrderBy,
    OrderItem,
    compile_order_by,
    parse_order_by,
)
from spanwise_collector.filters.page_token import decode_page_token, encode_page_token
from spanwise_collector.filters.parser import MAX_DEPTH, MAX_IN_LIST, parse_filter
from spanwise_collector.filters.schema import (
    DATETIME,
    DECIMAL,
    ENUM,
    INTEGER,
    NUMBER,
    STRING,
    Field,
    FieldType,
    Prefix,
    Schema,
    Text,
)

__all__ = [
    "DATETIME",
    "DECIMAL",
    "ENUM",
    "INTEGER",
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "MAX_IN_LIST",
    "NUMBER",
    "STRING",
    "And",
    "Comparison",
    "CompiledFilter",
    "CompiledOrderBy",
    "Field",
    "FieldRef",
    "FieldType",
    "FilterError",
    "InList",
    "InvalidPageToken",
    "IsNull",
    "Node",
    "Not",
    "Or",
    "OrderItem",
    "Prefix",
    "Schema",
    "Text",
    "compile_filter",
    "compile_order_by",
    "decode_page_token",
    "encode_page_token",
    "parse_filter",
    "parse_order_by",
    "to_filter_string",
]
