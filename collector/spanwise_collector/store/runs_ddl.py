"""Schema of experiment runs (migration 2), kept beside the spans.

Why the tables look like this:

* Every table is written by retried batches, so each is a ReplacingMergeTree
  whose sorting key is the identity of the row: a re-delivered event produces an
  identical key and merges away. Readers never rely on merges having happened:
  they GROUP BY the key and pick the row with ``argMax(..., Version)`` — no FINAL.
* ``runs``: one row per state change of a run (start, end), each a full snapshot
  with a strictly increasing ``Version``; status and end time are "updated" by a
  newer snapshot. ``ORDER BY (ExperimentId, RunId)``: run search is per
  experiment; a bloom filter on RunId serves get-by-id.
* ``run_metrics`` holds the full history (one row per point). ``EventId`` is in
  the key so two points with the same step and timestamp both survive while a
  retried point does not.
* ``run_latest_metrics`` (AggregatingMergeTree fed by a materialized view) keeps
  one state per (run, key): the value with the highest (step, timestamp), as
  MLflow defines "latest". Filters like ``metrics.rmse < 30000`` and the metrics
  of a run page read it, never the history.
* ``run_params`` are immutable: the first value logged wins (``argMin`` by
  ``LoggedAt``); ``run_tags`` may change: the highest ``Version`` wins.
"""

from __future__ import annotations

__all__ = ["RUNS_STATEMENTS"]

EXPERIMENTS_TABLE = """
CREATE TABLE IF NOT EXISTS {db}.experiments (
    ExperimentId String,
    Name String,
    Tags Map(String, String),
    CreationTime DateTime64(3),
    Project LowCardinality(String),
    IngestedAt DateTime64(3) DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(IngestedAt)
ORDER BY ExperimentId
"""

RUNS_TABLE = """
CREATE TABLE IF NOT EXISTS {db}.runs (
    ExperimentId String,
    RunId String,
    RunName String,
    Status LowCardinality(String),
    StartTime DateTime64(3),
    EndTime Nullable(DateTime64(3)),
    ParentRunId String,
    Project LowCardinality(String),
    Version UInt64,
    INDEX idx_run RunId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree(Version)
ORDER BY (ExperimentId, RunId)
"""

PARAMS_TABLE = """
CREATE TABLE IF NOT EXISTS {db}.run_params (
    RunId String,
    Key String,
    Value String,
    LoggedAt DateTime64(3) DEFAULT now64(3)
) ENGINE = ReplacingMergeTree
ORDER BY (RunId, Key)
"""

TAGS_TABLE = """
CREATE TABLE IF NOT EXISTS {db}.run_tags (
    RunId String,
    Key String,
    Value String,
    Version UInt64
) ENGINE = ReplacingMergeTree(Version)
ORDER BY (RunId, Key)
"""

METRICS_TABLE = """
CREATE TABLE IF NOT EXISTS {db}.run_metrics (
    RunId String,
    Key String,
    Value Float64 CODEC(Gorilla, ZSTD(1)),
    Step Int64 CODEC(Delta, ZSTD(1)),
    Timestamp Int64 CODEC(Delta, ZSTD(1)),
    EventId UInt64
) ENGINE = ReplacingMergeTree
ORDER BY (RunId, Key, Step, Timestamp, EventId)
"""

LATEST_METRICS_TABLE = """
CREATE TABLE IF NOT EXISTS {db}.run_latest_metrics (
    RunId String,
    Key String,
    Latest AggregateFunction(argMax, Tuple(Float64, Int64, Int64), Tuple(Int64, Int64))
) ENGINE = AggregatingMergeTree
ORDER BY (RunId, Key)
"""

LATEST_METRICS_MV = """
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.run_latest_metrics_mv TO {db}.run_latest_metrics AS
SELECT
    RunId,
    Key,
    argMaxState((Value, Step, Timestamp), (Step, Timestamp)) AS Latest
FROM {db}.run_metrics
GROUP BY RunId, Key
"""

RUNS_STATEMENTS: tuple[str, ...] = (
    EXPERIMENTS_TABLE,
    RUNS_TABLE,
    PARAMS_TABLE,
    TAGS_TABLE,
    METRICS_TABLE,
    LATEST_METRICS_TABLE,
    LATEST_METRICS_MV,
)
