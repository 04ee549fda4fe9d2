"""Insert failures are classified by ClickHouse error code: the batch's own data refused →
permanent (set aside), the store's state (missing table, load, memory, connection) →
retryable. Every error here is a real one, raised by the embedded engine or the driver."""

from __future__ import annotations

import decimal
import logging
import os
import socket
from pathlib import Path

import pyarrow as pa
import pytest
from spanwise_collector.store import StoreError
from spanwise_collector.store.errors import (
    PERMANENT_CODES,
    RETRYABLE_CODES,
    classify_insert_error,
    error_code,
)

from tests.support.embedded import embedded_store

SCRATCH = """CREATE TABLE scratch (
    Timestamp DateTime64(9), Duration UInt64, Attributes Map(LowCardinality(String), String),
    Cost Nullable(Decimal(18, 9)), Events Nested(Timestamp DateTime64(9), Name String)
) ENGINE = MergeTree ORDER BY Timestamp"""


@pytest.fixture(scope="module")
def store(embedded_chdb_path):
    s = embedded_store(embedded_chdb_path, "inserr", migrations=())
    s.command(SCRATCH)
    yield s
    s.command(f"DROP DATABASE IF EXISTS `{s.database}`")


def _refusal(store, table: pa.Table, target: str = "scratch", **settings) -> StoreError:
    with pytest.raises(StoreError) as failed:
        store.insert_arrow(target, table, settings=settings)
    return failed.value


def _raised(store, sql: str) -> Exception:
    # SELECTs through ``query``: clickhouse-connect 1.12's chDB ``command`` leaves a failed
    # SELECT's partial output on the client, garbling that client's next result.
    with store.client() as client, pytest.raises(Exception) as failed:
        (client.query if sql.startswith("SELECT") else client.command)(sql)
    return failed.value


ns = pa.timestamp("ns")

REFUSED_DATA = {
    "text in a number column": (pa.table({"Duration": ["abc"]}), 6),
    "text in a time column": (pa.table({"Timestamp": ["yesterday"]}), 41),
    "number in a map column": (pa.table({"Attributes": pa.array([1])}), 53),
    "decimal overflow": (
        pa.table({"Cost": pa.array([decimal.Decimal("1e20")], pa.decimal128(38, 9))}),
        407,
    ),
    "event times and names of different lengths": (
        pa.table(
            {
                "Events.Timestamp": pa.array([[1, 2]], pa.list_(ns)),
                "Events.Name": pa.array([["only one"]]),
            }
        ),
        190,
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED_DATA))
def test_data_the_store_cannot_take_is_permanent(store, case):
    table, code = REFUSED_DATA[case]
    error = _refusal(store, table)
    assert (error.retryable, error.code) == (False, code)
    assert PERMANENT_CODES[code][0] in str(error)  # the log names the reason


def test_missing_table_or_column_is_retryable(store):
    # Every batch has the same columns: a table or column missing is the schema's state
    # (detached, migration not run), fixed by an operator — never a reason to drop data.
    good = pa.table({"Duration": pa.array([1], pa.uint64())})
    store.command("DETACH TABLE scratch")
    try:
        detached = _refusal(store, good)
    finally:
        store.command("ATTACH TABLE scratch")
    no_column = _refusal(store, pa.table({"NotAColumn": ["x"]}))
    no_table = _refusal(store, good, target="no_such_table")
    assert [(e.retryable, e.code) for e in (detached, no_column, no_table)] == [
        (True, 60), (True, 16), (True, 60),
    ]  # fmt: skip
    store.insert_arrow("scratch", good)  # and the same batch goes in once it is back


def test_too_many_parts_is_retryable(store):
    store.command("CREATE TABLE busy (x UInt64) ENGINE = MergeTree ORDER BY x "
                  "SETTINGS parts_to_throw_insert = 1")  # fmt: skip
    one = pa.table({"x": pa.array([1], pa.uint64())})
    store.insert_arrow("busy", one)
    error = _refusal(store, one, target="busy")  # a second part: merges "lag behind"
    assert (error.retryable, error.code) == (True, 252)


def test_server_state_errors_are_retryable(store):
    memory = "SELECT groupArray(number) FROM numbers(1000000) SETTINGS max_memory_usage = 100000"
    slow = "SELECT count() FROM numbers(10000000000) SETTINGS max_execution_time = 0.05"
    readonly = "INSERT INTO scratch (Duration) SETTINGS readonly = 1 VALUES (1)"
    raised = {241: _raised(store, memory), 159: _raised(store, slow),
              164: _raised(store, readonly)}  # fmt: skip
    for code, exc in raised.items():
        failure = classify_insert_error(exc)
        assert (failure.code, failure.permanent, failure.classified) == (code, False, True)
        assert failure.name == RETRYABLE_CODES[code][0]


def test_connection_failure_has_no_code_and_is_retryable():
    import clickhouse_connect

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(Exception) as refused:
        clickhouse_connect.get_client(host="127.0.0.1", port=port, connect_timeout=2)
    failure = classify_insert_error(refused.value)
    assert (failure.code, failure.permanent) == (None, False)


def test_unclassified_code_is_retried_and_warned_about_once(store, caplog):
    good = pa.table({"Duration": pa.array([1], pa.uint64())})
    with caplog.at_level(logging.WARNING, logger="spanwise.collector"):
        first = _refusal(store, good, spanwise_no_such_setting=1)  # UNKNOWN_SETTING
        second = _refusal(store, good, spanwise_no_such_setting=1)
    assert (first.retryable, first.code, second.retryable) == (True, 115, True)
    warnings = [r for r in caplog.records if "does not classify" in r.getMessage()]
    assert len(warnings) == 1 and "115" in warnings[0].getMessage()


def test_code_read_from_the_message_when_the_driver_gives_none(store):
    # chDB itself, and clickhouse-connect before 1.x, only say "Code: NNN. DB::Exception".
    real = _raised(store, "INSERT INTO scratch (Duration) SELECT 'abc'")
    bare = RuntimeError(str(real))
    assert error_code(real) == error_code(bare) == 6
    assert classify_insert_error(bare).permanent
    try:
        raise StoreError("wrapped") from bare
    except StoreError as wrapped:
        assert error_code(wrapped) == 6  # found through the cause


def test_the_code_tables_match_clickhouses_own_names(store):
    rows = store.query(
        "SELECT c, toString(errorCodeToName(c)) FROM (SELECT arrayJoin({codes:Array(Int32)}) AS c)",
        {"codes": [*PERMANENT_CODES, *RETRYABLE_CODES]},
    )
    names = dict(rows)
    assert not set(PERMANENT_CODES) & set(RETRYABLE_CODES)
    for table in (PERMANENT_CODES, RETRYABLE_CODES):
        assert {code: names.get(code) for code in table} == {
            code: name for code, (name, _) in table.items()
        }


def test_insert_files_do_not_outlive_their_insert(store):
    """chDB inserts stage an Arrow file in the store's directory: removed after each
    insert, stored or refused; one left by a collector killed mid-insert (another
    process id) is removed when the store next opens; this process's own are kept."""
    from spanwise_collector.store import ClickHouseStore

    staging = Path(store.location.path) / "spanwise-inserts"
    store.insert_arrow("scratch", pa.table({"Duration": pa.array([424242], pa.uint64())}))
    _refusal(store, pa.table({"Duration": ["abc"]}))
    assert sorted(staging.iterdir()) == []
    leftover = staging / "insert-4194305-crashed.arrow"  # above Linux's largest pid
    in_flight = staging / f"insert-{os.getpid()}-busy.arrow"
    for path in (leftover, in_flight):
        path.write_bytes(b"ARROW1")
    try:
        ClickHouseStore(store.location).close()
        assert sorted(staging.iterdir()) == [in_flight]
    finally:
        in_flight.unlink(missing_ok=True)
    assert store.query("SELECT count() FROM scratch WHERE Duration = 424242") == [(1,)]
