"""A small known table in a real chDB engine, shared by the filter tests.

chDB allows one engine per process, so the client and its directory are session-wide.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from spanwise_collector.filters import (
    DATETIME,
    DECIMAL,
    ENUM,
    INTEGER,
    NUMBER,
    Field,
    Prefix,
    Schema,
    Text,
    compile_filter,
    compile_order_by,
)

SPAN_WRAP = "id IN (SELECT trace_id FROM filters_spans WHERE {pred})"

SCHEMA = Schema(
    Field("t.id", sql="id", type=INTEGER),
    Field("t.name", sql="name"),
    Field("t.status", sql="status", type=ENUM, values={"OK": "STATUS_OK", "ERROR": "STATUS_ERROR"}),
    Field("t.cost", sql="cost", type=DECIMAL, nullable=True),
    Field("t.tokens", sql="tokens", type=INTEGER),
    Field("t.latency_ms", sql="latency * 1000", type=NUMBER),
    Field("t.timestamp", sql="ts", type=DATETIME),
    Field("t.output", sql="output", nullable=True),
    Field(
        "status",
        sql="status",
        type=ENUM,
        values=("STATUS_OK", "STATUS_ERROR"),
        aliases=("attributes.status2",),
    ),
    Prefix("tags", sql_template="Tags[{key}]", presence="mapContains(Tags, {key})"),
    Prefix(
        "metrics",
        sql_template="Metrics[{key}]",
        presence="mapContains(Metrics, {key})",
        type=NUMBER,
    ),
    Text("t.text", columns=("input", "output")),
    Field("span.model", sql="model", wrap=SPAN_WRAP),
    Field("span.cost", sql="span_cost", type=DECIMAL, wrap=SPAN_WRAP),
)

D = Decimal
NAN = float("nan")
# id, name, status, cost, tokens, latency (s), ts, Tags, Metrics, input, output
ROWS = [
    (1, "checkout", "STATUS_OK", D("0.005"), 100, 1.5, datetime(2026, 1, 1),
     {"env": "prod", "team": "a", "my key": "v1", "gen_ai.request.model": "gpt-4o", "n": "5"},
     {"rmse": 0.5, "r2": 0.9}, "Please REFUND my order", "ok"),
    (2, "checkout-v2", "STATUS_ERROR", D("0.02"), 2000, 3.0, datetime(2026, 1, 2, 12, 0, 0, 500000),
     {"env": "staging", "n": "10"}, {"rmse": 1.5}, "hello", "it's done; DROP TABLE t; --"),
    (3, "O'Brien", "STATUS_OK", None, 0, 0.1, datetime(2026, 1, 3),
     {"env": "prod", "n": "abc", "quote": "it's \"q\""}, {}, "Ünïcødé 😀 text", None),
    (4, "back\\slash", "STATUS_ERROR", D("0.01"), 50, 10.0, datetime(2025, 12, 31, 23, 59, 59, 999999),
     {}, {"rmse": NAN, "loss": -2.0}, "100%_ literal", "SELECT * FROM t"),
    (5, "'; DROP TABLE filters_t; --", "STATUS_OK", D("1.5"), 10, 0.5, datetime(2026, 2, 1),
     {"env": "dev", "team": "b", "x'; DROP": "1"}, {"rmse": 30000.0}, "refunds\nnewline", ""),
]  # fmt: skip
SPANS = [  # trace_id, model, span_cost
    (1, "gpt-4o", D("0.001")), (1, "claude", D("0.004")),
    (2, "gpt-4o", D("0.02")),
    (3, "claude", D("0")),
    (4, "gpt-4o", D("0")), (4, "claude", D("0.01")),
]  # fmt: skip
ALL_IDS = {r[0] for r in ROWS}


@pytest.fixture(scope="session")
def ch(embedded_chdb):
    client = embedded_chdb
    client.command("DROP TABLE IF EXISTS filters_t")
    client.command(
        """CREATE TABLE filters_t (
            id UInt32, name String, status LowCardinality(String), cost Nullable(Decimal(18, 9)),
            tokens UInt64, latency Float64, ts DateTime64(9),
            Tags Map(LowCardinality(String), String), Metrics Map(String, Float64),
            input String, output Nullable(String)
        ) ENGINE = MergeTree ORDER BY id"""
    )
    client.command(
        "CREATE TABLE filters_spans (trace_id UInt32, model String, span_cost Decimal(18, 9))"
        " ENGINE = MergeTree ORDER BY trace_id"
    )
    client.insert(
        "filters_t",
        ROWS,
        column_names=["id", "name", "status", "cost", "tokens", "latency", "ts", "Tags",
                      "Metrics", "input", "output"],
    )  # fmt: skip
    client.insert("filters_spans", SPANS, column_names=["trace_id", "model", "span_cost"])
    yield client
    client.close()


@pytest.fixture(scope="session")
def ids(ch):
    """ids("filter") -> the set of row ids the compiled filter selects in chDB."""

    def run(filter_text, schema=SCHEMA) -> set[int]:
        compiled = compile_filter(filter_text, schema)
        rows = ch.query(
            f"SELECT id FROM filters_t WHERE {compiled.sql}", parameters=compiled.params
        ).result_rows
        return {r[0] for r in rows}

    return run


@pytest.fixture(scope="session")
def ordered(ch):
    """ordered(["metrics.rmse ASC"]) -> row ids in the compiled order (id breaks ties)."""

    def run(items, where="") -> list[int]:
        order = compile_order_by(items, SCHEMA)
        compiled = compile_filter(where, SCHEMA)
        sql = (
            f"SELECT id FROM filters_t WHERE {compiled.sql} "
            f"ORDER BY {order.sql + ', ' if order.sql else ''}id"
        )
        rows = ch.query(sql, parameters={**compiled.params, **order.params}).result_rows
        return [r[0] for r in rows]

    return run
