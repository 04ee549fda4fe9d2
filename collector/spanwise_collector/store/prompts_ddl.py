"""Migration 12: the prompt registry (MLflow's prompt registry, Langfuse's and Phoenix's
prompt management): named prompt templates in immutable, numbered versions, and aliases
("production", "staging") that point at a version and can move.

* ``prompts``: one row per version of a prompt, ``ORDER BY (Name, Version)``. A version
  never changes once written; deleting it inserts a snapshot marked ``Deleted`` with a
  higher ``RowVersion`` (readers take the newest row per key, never FINAL). Version
  numbers are never reused, deleted or not.
* ``prompt_aliases``: the newest row per ``(Name, Alias)`` says where the alias points
  (or that it was removed).
* Both small: one full replicated copy on every node of a cluster. Durable when
  acknowledged (inserts fsync their part), like assessments and datasets.
"""

from __future__ import annotations

from .ddl_spec import Table

__all__ = ["ALIASES_TABLE", "PROMPTS_STATEMENTS", "PROMPTS_TABLE"]

PROMPTS_TABLE = "prompts"
ALIASES_TABLE = "prompt_aliases"

_DURABLE = {"fsync_after_insert": 1, "fsync_part_directory": 1}

PROMPTS = Table(
    name=PROMPTS_TABLE,
    columns=(
        "Name String",
        "Version UInt32",
        "Kind LowCardinality(String)",
        "Template String CODEC(ZSTD(3))",
        "Config String CODEC(ZSTD(1))",
        "CommitMessage String CODEC(ZSTD(1))",
        "Tags Map(String, String)",
        "CreatedAt DateTime64(3)",
        "Deleted UInt8",
        "RowVersion UInt64",
    ),
    engine="ReplacingMergeTree(RowVersion)",
    order_by="(Name, Version)",
    settings=_DURABLE,
    shard_by=None,
)

ALIASES = Table(
    name=ALIASES_TABLE,
    columns=(
        "Name String",
        "Alias String",
        "Version UInt32",
        "UpdatedAt DateTime64(3)",
        "Deleted UInt8",
        "RowVersion UInt64",
    ),
    engine="ReplacingMergeTree(RowVersion)",
    order_by="(Name, Alias)",
    settings=_DURABLE,
    shard_by=None,
)

PROMPTS_STATEMENTS = (PROMPTS, ALIASES)
