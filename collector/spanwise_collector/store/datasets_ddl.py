"""Migration 11: evaluation datasets (MLflow's evaluation datasets, Langfuse's and
Phoenix's datasets): named sets of records — inputs to run an app on, and what it
should produce — that evaluations read back.

* Every change inserts a whole snapshot with a higher ``Version``; readers take the
  newest per key and drop the snapshots marked ``Deleted`` (as assessments do), never
  FINAL; ReplacingMergeTree(Version) folds old versions away.
* ``datasets``: one row per version of a dataset, ``ORDER BY (Name, DatasetId)``: looked
  up by name. A name is unique among live datasets (the collector checks before it
  creates); a deleted dataset's name can be taken again by a new id. Small: one full
  replicated copy on every node of a cluster.
* ``dataset_records``: ``ORDER BY (DatasetId, RecordId)``, a dataset's records read in
  key ranges; sharded by dataset. ``Inputs``/``Expectations`` are the JSON objects as
  given. ``RecordId`` is given or derived from the inputs, so merging the same inputs
  again updates the record. ``CreatedSeq`` (the version that created the record, kept by
  its updates) orders a dataset's records as they were added, within one request too.
* Durable when acknowledged: inserts fsync their part (settings below), like assessments.
"""

from __future__ import annotations

from .ddl_spec import Table

__all__ = ["DATASETS_STATEMENTS", "DATASETS_TABLE", "RECORDS_TABLE"]

DATASETS_TABLE = "datasets"
RECORDS_TABLE = "dataset_records"

_DURABLE = {"fsync_after_insert": 1, "fsync_part_directory": 1}

DATASETS = Table(
    name=DATASETS_TABLE,
    columns=(
        "DatasetId String",
        "Name String",
        "Description String CODEC(ZSTD(1))",
        "Tags Map(String, String)",
        "CreatedAt DateTime64(3)",
        "UpdatedAt DateTime64(3)",
        "Deleted UInt8",
        "Version UInt64",
    ),
    engine="ReplacingMergeTree(Version)",
    order_by="(Name, DatasetId)",
    settings=_DURABLE,
    shard_by=None,
)

RECORDS = Table(
    name=RECORDS_TABLE,
    columns=(
        "DatasetId String",
        "RecordId String",
        "Inputs String CODEC(ZSTD(3))",
        "Expectations String CODEC(ZSTD(3))",
        "Tags Map(String, String)",
        "SourceTraceId String",
        "CreatedSeq UInt64",
        "CreatedAt DateTime64(3)",
        "UpdatedAt DateTime64(3)",
        "Deleted UInt8",
        "Version UInt64",
    ),
    engine="ReplacingMergeTree(Version)",
    order_by="(DatasetId, RecordId)",
    settings=_DURABLE,
    shard_by="cityHash64(DatasetId)",
)

DATASETS_STATEMENTS = (DATASETS, RECORDS)
