"""Migration 7 compresses inputs/outputs with ZSTD(1), without rewriting stored spans."""

from __future__ import annotations

from spanwise_collector.store import ddl

from tests.support.embedded import embedded_store


def _codecs(store) -> dict[str, str]:
    rows = store.query(
        "SELECT name, compression_codec FROM system.columns WHERE database = {db:String}"
        " AND table = 'otel_traces' AND name IN ('Input', 'Output')",
        {"db": store.database},
    )
    return dict(rows)


def _parts(store) -> list[tuple]:
    return store.query(
        "SELECT name, modification_time FROM system.parts WHERE active AND database = {db:String}"
        " AND table = 'otel_traces' ORDER BY name",
        {"db": store.database},
    )


def _insert_spans(store, first: int, prompt: str) -> None:
    store.command(
        "INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, Project, Input, Output)"
        " SELECT now64(9), leftPad(hex(number), 32, '0'), leftPad(hex(number), 16, '0'), 'llm',"
        " 'p', concat({prompt:String}, ' ', toString(number)), concat('answer ', toString(number))"
        " FROM numbers({first:UInt64}, 50)",
        {"prompt": prompt, "first": first},
    )


def test_a_store_with_spans_moves_to_zstd1_and_keeps_its_spans(embedded_chdb_path):
    store = embedded_store(embedded_chdb_path, migrations=ddl.MIGRATIONS[:6])
    assert _codecs(store) == {"Input": "CODEC(ZSTD(3))", "Output": "CODEC(ZSTD(3))"}
    _insert_spans(store, 0, "Old prompt")
    parts = _parts(store)

    assert store.migrate() == [m.version for m in ddl.MIGRATIONS[6:]]

    assert _codecs(store) == {"Input": "CODEC(ZSTD(1))", "Output": "CODEC(ZSTD(1))"}
    # metadata only: no mutation, the stored part is the same part
    assert _parts(store) == parts
    mutations = store.query(
        "SELECT count() FROM system.mutations WHERE database = {db:String}"
        " AND command LIKE '%CODEC%'",
        {"db": store.database},
    )
    assert mutations == [(0,)]
    _insert_spans(store, 1000, "New prompt")
    store.command(f"OPTIMIZE TABLE `{store.database}`.otel_traces FINAL")
    found = store.query(
        "SELECT countIf(lower(Input) LIKE '%old prompt%'), countIf(lower(Input) LIKE "
        "'%new prompt%'), countIf(Output = 'answer 1007') FROM otel_traces"
    )
    assert found == [(50, 50, 1)]


def test_a_new_store_compresses_prompts_with_zstd1(embedded_chdb_path):
    store = embedded_store(embedded_chdb_path)
    assert _codecs(store) == {"Input": "CODEC(ZSTD(1))", "Output": "CODEC(ZSTD(1))"}
