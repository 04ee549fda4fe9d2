"""``spanwise.evaluate``: run an app over a dataset inside a run, score each answer,
log the scores as feedback on each record's trace and their means as run metrics."""

from .evaluate import evaluate
from .judges import make_judge
from .monitor import ScoringPass, score_traces
from .result import EvaluationResult, EvaluationRow
from .scorers import Feedback, Scorer, scorer

__all__ = ["EvaluationResult", "EvaluationRow", "Feedback", "Scorer", "ScoringPass", "evaluate",
           "make_judge", "score_traces", "scorer"]  # fmt: skip
