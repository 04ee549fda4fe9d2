"""Is an insert failure worth retrying? ClickHouse error codes → permanent or retryable.

The OpenTelemetry Collector marks an error *permanent* when sending the same data again
cannot succeed (``consumererror.NewPermanent``), and retries everything else. Spanwise
does the same for inserts. A permanent error is about the batch's own values, such as a
type mismatch, a value that cannot be parsed, or a decimal overflow. The pipeline sets
such a batch aside (``rejected/`` in the spool) so the batches behind it keep flowing. A
retryable error is about the store's state: it is unreachable, overloaded, out of memory
or disk, read-only, or missing a table or column that an operator can restore. Those
batches wait in the spool.

Errors are classified by the numeric ClickHouse error code, never by message text.
clickhouse-connect (≥ 1.x) sets it as ``exc.code`` for both the HTTP and the chDB
backends; older drivers and chDB itself only put ``Code: NNN. DB::Exception`` in the
message, so that is read when the attribute is missing. Codes in neither table, and
failures without a code (connection refused, timeouts, local I/O), are retryable: a
wrong guess of "permanent" would move good data out of the way, while a wrong
"retryable" only delays it (and is logged, see ``ClickHouseStore``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["PERMANENT_CODES", "RETRYABLE_CODES", "InsertFailure", "classify_insert_error",
           "error_code"]  # fmt: skip

# code → (name, why the same batch can never be inserted). Numbers: ClickHouse
# src/Common/ErrorCodes.cpp (stable across versions).
PERMANENT_CODES: Mapping[int, tuple[str, str]] = MappingProxyType({
    6: ("CANNOT_PARSE_TEXT", "a value cannot be parsed as its column's type"),
    9: ("SIZES_OF_COLUMNS_DOESNT_MATCH", "the batch's columns have different lengths"),
    25: ("CANNOT_PARSE_ESCAPE_SEQUENCE", "a value has a bad escape sequence"),
    26: ("CANNOT_PARSE_QUOTED_STRING", "a value is a badly quoted string"),
    27: ("CANNOT_PARSE_INPUT_ASSERTION_FAILED", "a value does not have its type's syntax"),
    38: ("CANNOT_PARSE_DATE", "a value is not a date"),
    41: ("CANNOT_PARSE_DATETIME", "a value is not a date-time"),
    44: ("ILLEGAL_COLUMN", "a column of the batch has a type the table cannot take"),
    53: ("TYPE_MISMATCH", "a value's type does not fit its column"),
    69: ("ARGUMENT_OUT_OF_BOUND", "a value is out of bounds for its column"),
    70: ("CANNOT_CONVERT_TYPE", "a value cannot be converted to its column's type"),
    72: ("CANNOT_PARSE_NUMBER", "a value is not a number"),
    117: ("INCORRECT_DATA", "the batch's data is malformed"),
    120: ("CANNOT_INSERT_VALUE_OF_DIFFERENT_SIZE_INTO_TUPLE", "a tuple value has the wrong size"),
    128: ("TOO_LARGE_ARRAY_SIZE", "an array value is larger than the engine allows"),
    130: ("CANNOT_READ_ARRAY_FROM_TEXT", "a value is not an array"),
    131: ("TOO_LARGE_STRING_SIZE", "a string value is larger than the engine allows"),
    190: ("SIZES_OF_ARRAYS_DONT_MATCH", "a span's nested arrays (events, links) differ in length"),
    321: ("VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE", "a value is out of its column type's range"),
    346: ("CANNOT_CONVERT_CHARSET", "a value's text cannot be converted"),
    349: ("CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN", "a NULL in a column that cannot hold one"),
    366: ("SIZES_OF_NESTED_COLUMNS_ARE_INCONSISTENT", "a nested value's parts differ in length"),
    376: ("CANNOT_PARSE_UUID", "a value is not a UUID"),
    407: ("DECIMAL_OVERFLOW", "a number or time overflows its column's decimal type"),
    467: ("CANNOT_PARSE_BOOL", "a value is not a boolean"),
    563: ("CANNOT_READ_MAP_FROM_TEXT", "a value is not a map"),
    632: ("UNEXPECTED_DATA_AFTER_PARSED_VALUE", "a value has trailing data"),
})  # fmt: skip

# Known codes that stay retryable, with why: an operator or time fixes them. (Unknown
# codes are retryable too; listing these keeps them out of the "unclassified" warning.)
RETRYABLE_CODES: Mapping[int, tuple[str, str]] = MappingProxyType({
    # The schema is behind the collector: every batch has the same columns, so this is
    # about the table, not one batch; restoring it (ATTACH, a migration) lets them all in.
    8: ("THERE_IS_NO_COLUMN", "the table lacks a column Spanwise writes"),
    10: ("NOT_FOUND_COLUMN_IN_BLOCK", "the table's schema differs from Spanwise's"),
    16: ("NO_SUCH_COLUMN_IN_TABLE", "the table lacks a column Spanwise writes (migration?)"),
    20: ("NUMBER_OF_COLUMNS_DOESNT_MATCH", "the table's schema differs from Spanwise's"),
    60: ("UNKNOWN_TABLE", "the table is missing or detached"),
    81: ("UNKNOWN_DATABASE", "the database is missing"),
    218: ("TABLE_IS_DROPPED", "the table is being dropped or recreated"),
    733: ("TABLE_IS_BEING_RESTARTED", "the table is restarting"),
    # Load and resources: the same insert succeeds later. A group too big for the memory
    # limit is replayed from the spool one request's batch at a time.
    159: ("TIMEOUT_EXCEEDED", "the insert ran out of time"),
    173: ("CANNOT_ALLOCATE_MEMORY", "the server is out of memory"),
    201: ("QUOTA_EXCEEDED", "the user's quota is spent for now"),
    202: ("TOO_MANY_SIMULTANEOUS_QUERIES", "the server is busy"),
    241: ("MEMORY_LIMIT_EXCEEDED", "the server is short of memory"),
    243: ("NOT_ENOUGH_SPACE", "the server's disk is full"),
    252: ("TOO_MANY_PARTS", "merges lag behind inserts"),
    364: ("RECEIVED_ERROR_TOO_MANY_REQUESTS", "the server is busy"),
    574: ("DISTRIBUTED_TOO_MANY_PENDING_BYTES", "a shard lags behind"),
    745: ("SERVER_OVERLOADED", "the server is overloaded"),
    # Read-only, access and cluster state: fixed on the server side.
    164: ("READONLY", "the user or server is read-only"),
    242: ("TABLE_IS_READ_ONLY", "the table is read-only (replica lost ZooKeeper/Keeper?)"),
    192: ("UNKNOWN_USER", "the credentials are wrong or missing"),
    193: ("WRONG_PASSWORD", "the credentials are wrong"),
    194: ("REQUIRED_PASSWORD", "the credentials are missing"),
    195: ("IP_ADDRESS_NOT_ALLOWED", "the server does not accept this host"),
    291: ("DATABASE_ACCESS_DENIED", "the user may not write to the database"),
    497: ("ACCESS_DENIED", "the user may not insert"),
    516: ("AUTHENTICATION_FAILED", "the credentials are wrong"),
    225: ("NO_ZOOKEEPER", "the cluster coordinator is unreachable"),
    999: ("KEEPER_EXCEPTION", "the cluster coordinator failed"),
    289: ("REPLICA_IS_NOT_IN_QUORUM", "a replica is missing"),
    319: ("UNKNOWN_STATUS_OF_INSERT", "the insert may not have happened (dedup makes retry safe)"),
    519: ("NO_REMOTE_SHARD_AVAILABLE", "no shard is reachable"),
    # The connection or the server's I/O broke mid-insert.
    3: ("UNEXPECTED_END_OF_FILE", "the data stream was cut"),
    23: ("CANNOT_READ_FROM_ISTREAM", "the data stream broke"),
    24: ("CANNOT_WRITE_TO_OSTREAM", "the data stream broke"),
    33: ("CANNOT_READ_ALL_DATA", "the data stream was cut"),
    95: ("CANNOT_READ_FROM_SOCKET", "the network failed"),
    96: ("CANNOT_WRITE_TO_SOCKET", "the network failed"),
    209: ("SOCKET_TIMEOUT", "the network timed out"),
    210: ("NETWORK_ERROR", "the network failed"),
    236: ("ABORTED", "the insert was aborted"),
    279: ("ALL_CONNECTION_TRIES_FAILED", "no replica is reachable"),
    394: ("QUERY_WAS_CANCELLED", "the insert was cancelled (server shutting down?)"),
    204: ("CANNOT_FSYNC", "the server's disk failed"),
    294: ("CANNOT_WRITE_TO_FILE", "the server's disk failed"),
})  # fmt: skip

# chDB's messages, and the server response in older clickhouse-connect messages.
_MESSAGE_CODE = re.compile(r"\bCode:\s*(\d+)\.\s*DB::Exception")


@dataclass(frozen=True)
class InsertFailure:
    """How to treat one failed insert."""

    permanent: bool  # sending the same batch again cannot succeed
    code: int | None  # the ClickHouse error code; None: no code (connection, local I/O)
    name: str  # e.g. "TYPE_MISMATCH"; "" when unknown
    reason: str  # one line for logs
    classified: bool  # False: a code in neither table, retried by default

    def __str__(self) -> str:
        label = f"{self.name or 'code'} ({self.code})" if self.code is not None else "no code"
        return f"{label}: {self.reason}"


def error_code(exc: BaseException) -> int | None:
    """The ClickHouse error code carried by ``exc`` or the exceptions it was raised from."""
    from clickhouse_connect.driver.exceptions import Error as DriverError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "code", None) if isinstance(current, DriverError) else None
        if isinstance(code, int):
            return code
        match = _MESSAGE_CODE.search(str(current))
        if match:
            return int(match.group(1))
        current = current.__cause__ or current.__context__
    return None


def _driver_name(exc: BaseException) -> str:
    name = getattr(exc, "name", None)
    return name if isinstance(name, str) else ""


def classify_insert_error(exc: BaseException) -> InsertFailure:
    """Permanent (set the batch aside) or retryable (keep it in the spool) — see module doc."""
    code = error_code(exc)
    if code is None:
        return InsertFailure(False, None, "", "connection, timeout or local failure", True)
    if code in PERMANENT_CODES:
        name, reason = PERMANENT_CODES[code]
        return InsertFailure(True, code, name, reason, True)
    if code in RETRYABLE_CODES:
        name, reason = RETRYABLE_CODES[code]
        return InsertFailure(False, code, name, reason, True)
    return InsertFailure(
        False, code, _driver_name(exc), "not classified by Spanwise; retried to be safe", False
    )
