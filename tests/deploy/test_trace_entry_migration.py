"""Migration 14: traces whose root is remote get a name and status, on old stores too."""

from __future__ import annotations

from datetime import datetime, timedelta

from spanwise_collector.query.traces import ROOT_ERROR_SQL, TRACE_NAME_SQL
from spanwise_collector.store import ddl

from tests.support.embedded import embedded_store

_T0 = datetime(2026, 1, 5, 10, 0)
_OLD = ("TraceId", "SpanId", "ParentSpanId", "SpanName", "StatusCode", "Timestamp")


def _names(store) -> dict[str, tuple[str, int]]:
    rows = store.query(
        f"SELECT TraceId, {TRACE_NAME_SQL}, {ROOT_ERROR_SQL} FROM trace_summary GROUP BY TraceId"
    )
    return {trace: (name, error) for trace, name, error in rows}


def test_an_older_store_names_remote_rooted_traces_after_the_migration(embedded_chdb_path):
    store = embedded_store(embedded_chdb_path, "entry", migrations=ddl.MIGRATIONS[:13])
    old = [("a" * 32, "1" * 16, "", "old root", "Error", _T0),
           ("a" * 32, "2" * 16, "1" * 16, "child", "Unset", _T0)]  # fmt: skip
    store.insert_rows("otel_traces", old, _OLD)
    assert store.migrate() == [14]

    late = _T0 + timedelta(seconds=5)
    new = [  # b: two entries from a remote caller, the later one failed; c: old-style root
        ("b" * 32, "3" * 16, "f" * 16, "second", "Error", late, 1),
        ("b" * 32, "4" * 16, "f" * 16, "first", "Unset", _T0, 1),
        ("b" * 32, "5" * 16, "4" * 16, "inner", "Error", late, 0),
        ("a" * 32, "6" * 16, "2" * 16, "late child", "Unset", late, 0),
    ]
    store.insert_rows("otel_traces", new, (*_OLD, "ParentRemote"))
    assert _names(store) == {"a" * 32: ("old root", 1), "b" * 32: ("first", 0)}
    # A later insert block with a true root of b takes over from its entry.
    store.insert_rows("otel_traces", [("b" * 32, "f" * 16, "", "root", "Error", _T0)], _OLD)
    assert _names(store)["b" * 32] == ("root", 1)
