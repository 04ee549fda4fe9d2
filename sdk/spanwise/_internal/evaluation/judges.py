"""LLM judges (MLflow's ``make_judge``, Phoenix's LLM evals): a scorer that asks a chat
model for a verdict. ``instructions`` name what the judge sees with ``{{ inputs }}``,
``{{ outputs }}``, ``{{ expectations }}`` (filled in as JSON); the model answers with
structured output ``{"value": ..., "rationale": ...}`` of the declared type, which
becomes the scorer's ``Feedback``. Any OpenAI-compatible client works (``openai`` is
imported only when no client is given)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..exceptions import InvalidParameterError
from .scorers import Feedback, Scorer

__all__ = ["make_judge"]

_FIELDS = ("inputs", "outputs", "expectations")
_PLACEHOLDER = re.compile(r"\{\{\s*(inputs|outputs|expectations)\s*\}\}")
_TYPES = {bool: {"type": "boolean"}, int: {"type": "integer"}, float: {"type": "number"},
          str: {"type": "string"}}  # fmt: skip
SYSTEM = (
    "You are an impartial judge of an AI application's answer. Follow the instructions, "
    "then give your verdict as `value` and one or two sentences of reasons as `rationale`."
)


def _value_schema(feedback_type: Any) -> dict[str, Any]:
    if isinstance(feedback_type, (list, tuple)) and feedback_type:
        if not all(isinstance(c, str) for c in feedback_type):
            raise InvalidParameterError("feedback_type choices must be strings")
        return {"type": "string", "enum": list(feedback_type)}
    if feedback_type in _TYPES:
        return _TYPES[feedback_type]
    raise InvalidParameterError(
        "feedback_type must be bool, int, float, str or a list of choices (e.g. ['good', 'bad'])"
    )


def make_judge(
    name: str,
    instructions: str,
    *,
    model: str = "gpt-4o-mini",
    feedback_type: type | Sequence[str] = bool,
    client: Any = None,
    temperature: float = 0.0,
) -> Scorer:
    """A scorer that asks ``model`` to judge each answer by ``instructions``."""
    wants = tuple(dict.fromkeys(_PLACEHOLDER.findall(instructions or "")))
    if not wants:
        raise InvalidParameterError(
            "the judge's instructions must show it something: use {{ inputs }}, "
            "{{ outputs }} and/or {{ expectations }}"
        )
    schema = {
        "type": "object",
        "properties": {"value": _value_schema(feedback_type), "rationale": {"type": "string"}},
        "required": ["value", "rationale"],
        "additionalProperties": False,
    }
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": schema, "strict": True},
    }
    state: dict[str, Any] = {"client": client}

    def judge(**seen: Any) -> Feedback:
        text = _PLACEHOLDER.sub(
            lambda m: json.dumps(seen[m.group(1)], ensure_ascii=False, default=str), instructions
        )
        if state["client"] is None:
            import openai

            state["client"] = openai.OpenAI()
        reply = state["client"].chat.completions.create(
            model=model,
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}],
            response_format=response_format,
            temperature=temperature,
        )
        verdict = json.loads(reply.choices[0].message.content or "{}")
        if "value" not in verdict:
            raise ValueError(f"the judge's answer has no value: {verdict!r}")
        return Feedback(verdict["value"], rationale=verdict.get("rationale"), name=name,
                        metadata={"judge_model": model})  # fmt: skip

    judge.__name__ = name
    return Scorer(name, judge, wants)
