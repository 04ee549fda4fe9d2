"""What ``evaluate`` returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EvaluationResult", "EvaluationRow"]


@dataclass(frozen=True)
class EvaluationRow:
    """One record: what the app returned, its trace, and each score by feedback name.
    ``error``: predict_fn raised (no scores then); ``score_errors``: scorers that raised."""

    record_id: str
    inputs: Mapping[str, Any]
    expectations: Mapping[str, Any]
    outputs: Any = None
    trace_id: str | None = None
    error: str | None = None
    scores: Mapping[str, Any] = field(default_factory=dict)
    score_errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationResult:
    """The run the evaluation made, its metrics (``<feedback>/mean`` …) and the rows in
    the order of the data."""

    run_id: str
    metrics: Mapping[str, float]
    rows: tuple[EvaluationRow, ...]

    def to_df(self) -> Any:
        """The rows as a pandas DataFrame (one column per score)."""
        import pandas as pd

        return pd.DataFrame.from_records([
            {"record_id": r.record_id, "inputs": r.inputs, "outputs": r.outputs,
             "expectations": r.expectations, "trace_id": r.trace_id, "error": r.error,
             **{f"{k}/value": v for k, v in r.scores.items()}}
            for r in self.rows
        ])  # fmt: skip
