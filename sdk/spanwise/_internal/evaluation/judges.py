"""LLM judges (MLflow's ``make_judge``, Phoenix's LLM evals): a scorer that asks a chat
model for a verdict. ``instructions`` name what the judge sees with ``{{ inputs }}``,
``{{ outputs }}``, ``{{ expectations }}`` (filled in as JSON) and ``{{ context }}`` (what
the trace's retriever spans returned); the model answers with
structured output ``{"value": ..., "rationale": ...}`` of the declared type, which
becomes the scorer's ``Feedback``. Any OpenAI-compatible client works, and Anthropic's
(the verdict is then a forced tool call); ``model="anthropic:/claude-…"`` or
``"openai:/gpt-…"`` picks the client when none is given (imported only then)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..exceptions import InvalidParameterError
from .scorers import Feedback, Scorer

__all__ = ["make_judge", "retrieved_context"]

_PLACEHOLDER = re.compile(r"\{\{\s*(inputs|outputs|expectations|context)\s*\}\}")
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


_PROVIDERS = ("openai", "anthropic")
_DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}


def _split_model(model: str | None) -> tuple[str | None, str | None]:
    """``"anthropic:/claude-haiku-4-5"`` -> ("anthropic", "claude-haiku-4-5") (MLflow's
    model URIs); a bare name has no provider."""
    if model is None:
        return None, None
    if not isinstance(model, str) or not model.strip():
        raise InvalidParameterError("model must be a model name, e.g. 'gpt-4o-mini'")
    provider, sep, name = model.partition(":/")
    if not sep:
        return None, model
    if provider not in _PROVIDERS or not name:
        raise InvalidParameterError(
            f"model {model!r}: use a model name or 'openai:/<model>' / 'anthropic:/<model>'"
        )
    return provider, name


def _client_kind(client: Any) -> str:
    """Which API a given client speaks, by what it has: ``chat.completions`` (OpenAI
    and compatible servers) or ``messages`` (Anthropic)."""
    if hasattr(client, "chat"):
        return "openai"
    if hasattr(client, "messages"):
        return "anthropic"
    raise InvalidParameterError(
        "client must be an OpenAI-compatible client (client.chat.completions) or an "
        "Anthropic client (client.messages)"
    )


def _new_client(kind: str) -> Any:
    if kind == "anthropic":
        import anthropic

        return anthropic.Anthropic()
    import openai

    return openai.OpenAI()


def _ask_openai(client: Any, model: str, text: str, schema: dict[str, Any], temp: float) -> Any:
    reply = client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "verdict", "schema": schema, "strict": True},
        },
        temperature=temp,
    )
    return json.loads(reply.choices[0].message.content or "{}")


def _ask_anthropic(client: Any, model: str, text: str, schema: dict[str, Any], temp: float) -> Any:
    # Structured output the way every Claude model supports it: one tool, forced.
    reply = client.messages.create(
        model=model,
        max_tokens=1024,
        system=SYSTEM,
        messages=[{"role": "user", "content": text}],
        tools=[{"name": "verdict", "description": "Your verdict.", "input_schema": schema}],
        tool_choice={"type": "tool", "name": "verdict"},
    )
    for block in reply.content:
        if getattr(block, "type", None) == "tool_use":
            return block.input
    return {}


_ASK = {"openai": _ask_openai, "anthropic": _ask_anthropic}


def retrieved_context(trace: Any) -> list[Any]:
    """What the trace's retriever spans returned (their outputs, in start order)."""
    if trace is None:
        return []
    spans = sorted(
        (s for s in trace.data.spans if s.span_type == "RETRIEVER" and s.outputs is not None),
        key=lambda s: s.start_time_ns,
    )
    return [s.outputs for s in spans]


def make_judge(
    name: str,
    instructions: str,
    *,
    model: str | None = None,
    feedback_type: type | Sequence[str] = bool,
    client: Any = None,
    temperature: float = 0.0,
) -> Scorer:
    """A scorer that asks ``model`` to judge each answer by ``instructions``.

    ``client``: an ``openai.OpenAI`` (or any OpenAI-compatible client) or an
    ``anthropic.Anthropic``; without one, ``model``'s provider prefix picks it
    (``"anthropic:/claude-haiku-4-5"``; default OpenAI, ``gpt-4o-mini``). ``temperature``
    goes to OpenAI-compatible models only (current Claude models take none)."""
    shown = tuple(dict.fromkeys(_PLACEHOLDER.findall(instructions or "")))
    if not shown:
        raise InvalidParameterError(
            "the judge's instructions must show it something: use {{ inputs }}, "
            "{{ outputs }}, {{ expectations }} and/or {{ context }}"
        )
    wants = tuple(dict.fromkeys("trace" if f == "context" else f for f in shown))
    schema = {
        "type": "object",
        "properties": {"value": _value_schema(feedback_type), "rationale": {"type": "string"}},
        "required": ["value", "rationale"],
        "additionalProperties": False,
    }
    provider, model_name = _split_model(model)
    kind = _client_kind(client) if client is not None else (provider or "openai")
    if provider is not None and provider != kind:
        raise InvalidParameterError(f"model {model!r} is not served by the {kind} client given")
    model = model_name or _DEFAULT_MODELS[kind]
    ask = _ASK[kind]
    state: dict[str, Any] = {"client": client}

    def judge(**seen: Any) -> Feedback | None:
        if "context" in shown:
            seen["context"] = retrieved_context(seen["trace"])
            if not seen["context"]:
                return None  # no retrieval in this trace: nothing to judge it against
        text = _PLACEHOLDER.sub(
            lambda m: json.dumps(seen[m.group(1)], ensure_ascii=False, default=str), instructions
        )
        if state["client"] is None:
            state["client"] = _new_client(kind)
        verdict = ask(state["client"], model, text, schema, temperature)
        if not isinstance(verdict, dict) or "value" not in verdict:
            raise ValueError(f"the judge's answer has no value: {verdict!r}")
        return Feedback(verdict["value"], rationale=verdict.get("rationale"), name=name,
                        metadata={"judge_model": model})  # fmt: skip

    judge.__name__ = name
    return Scorer(name, judge, wants, "LLM_JUDGE")
