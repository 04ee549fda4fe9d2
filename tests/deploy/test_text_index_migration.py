"""Migration 4 replaces the 3-gram text indexes an older migration 3 created."""

from __future__ import annotations

from spanwise_collector.store import ddl

from tests.support.embedded import embedded_store

_OLD_NGRAM_INDEXES = (
    "idx_input_text lower(Input) TYPE text(tokenizer = ngrams(3)) GRANULARITY 64",
    "idx_output_text lower(Output) TYPE text(tokenizer = ngrams(3)) GRANULARITY 64",
)


def _text_indexes(store) -> dict[str, str]:
    rows = store.query(
        "SELECT name, type_full FROM system.data_skipping_indices WHERE database = {db:String}"
        " AND table = 'otel_traces' AND type = 'text'",
        {"db": store.database},
    )
    return dict(rows)


def test_a_store_with_the_old_ngram_indexes_ends_with_word_indexes(embedded_chdb_path):
    store = embedded_store(embedded_chdb_path, migrations=ddl.MIGRATIONS[:3])
    for index in _OLD_NGRAM_INDEXES:  # what migration 3 created before migration 4 existed
        store.command(f"ALTER TABLE {store.database}.otel_traces ADD INDEX {index}")
    assert set(_text_indexes(store)) == {"idx_input_text", "idx_output_text"}

    assert store.migrate() == [v.version for v in ddl.MIGRATIONS[3:]]

    indexes = _text_indexes(store)
    assert set(indexes) == {"idx_input_words", "idx_output_words"}
    assert all("splitByNonAlpha" in t for t in indexes.values())


def test_a_new_store_never_has_ngram_indexes(embedded_chdb_path):
    store = embedded_store(embedded_chdb_path)
    assert set(_text_indexes(store)) == {"idx_input_words", "idx_output_words"}
