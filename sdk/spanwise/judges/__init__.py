"""Ready-made LLM judges, each a scorer for ``spanwise.evaluate``, ``score_traces`` and
``spanwise monitor``::

    from spanwise import judges

    spanwise.evaluate("qa-golden", agent, [judges.correctness(), judges.safety()])
    spanwise.score_traces([judges.guidelines(["Answer in English"])], since="1d")

Each takes ``model`` (``"gpt-4o-mini"``, ``"anthropic:/claude-haiku-4-5"``) or a ready
``client``, like ``spanwise.make_judge``."""

from .._internal.evaluation.builtin_judges import (
    correctness,
    guidelines,
    relevance_to_query,
    retrieval_groundedness,
    safety,
)

__all__ = ["correctness", "guidelines", "relevance_to_query", "retrieval_groundedness", "safety"]
