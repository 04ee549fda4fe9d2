"""Migration 7: the spans table's merges use merge_selector_base = 10, old stores too."""

from __future__ import annotations

from spanwise_collector.store import ddl

from tests.support.embedded import embedded_store


def _create_sql(store) -> str:
    return store.query(f"SHOW CREATE TABLE {store.database}.otel_traces")[0][0]


def test_an_older_store_gets_the_merge_setting(embedded_chdb_path):
    store = embedded_store(embedded_chdb_path, "merges", migrations=ddl.MIGRATIONS[:6])
    assert "merge_selector_base" not in _create_sql(store)
    assert store.migrate() == [m.version for m in ddl.MIGRATIONS[6:]]
    assert "merge_selector_base = 10" in _create_sql(store)


def test_a_new_store_has_it(embedded_chdb_path):
    assert "merge_selector_base = 10" in _create_sql(embedded_store(embedded_chdb_path, "new"))
