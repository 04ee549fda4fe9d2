"""Scorers: functions that judge one answer. A scorer declares which of ``inputs``,
``outputs``, ``expectations`` and ``trace`` it needs by naming them as parameters, and
returns a value (bool, number, text), a ``Feedback``, or a list of ``Feedback``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import InvalidParameterError

__all__ = ["ARGUMENTS", "Feedback", "Scorer", "as_scorer", "scorer"]

ARGUMENTS = ("inputs", "outputs", "expectations", "trace")


@dataclass(frozen=True)
class Feedback:
    """A scorer's verdict with its reasons; ``name`` defaults to the scorer's name
    (give names when a scorer returns several)."""

    value: Any
    rationale: str | None = None
    name: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scorer:
    """A scoring function, its name, the arguments it asks for, and who its feedback is
    from (``LLM_JUDGE`` for a judge, as MLflow's judges and Langfuse's evaluators say)."""

    name: str
    func: Callable[..., Any]
    wants: tuple[str, ...]
    source_type: str = "CODE"

    def __call__(self, **available: Any) -> Any:
        return self.func(**{k: available[k] for k in self.wants})


def _wants(func: Callable[..., Any], name: str) -> tuple[str, ...]:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        raise InvalidParameterError(f"scorer {name!r}: cannot read its parameters") from None
    wants = []
    for p in params:
        if p.kind is p.VAR_KEYWORD:
            return ARGUMENTS
        if p.name in ARGUMENTS and p.kind is not p.POSITIONAL_ONLY:
            wants.append(p.name)
        elif p.default is p.empty and p.kind not in (p.VAR_POSITIONAL,):
            raise InvalidParameterError(
                f"scorer {name!r} has a parameter {p.name!r}; scorers are called with any "
                f"of {', '.join(ARGUMENTS)} (by name)"
            )
    return tuple(wants)


def as_scorer(obj: Any) -> Scorer:
    if isinstance(obj, Scorer):
        return obj
    if not callable(obj):
        raise InvalidParameterError(f"a scorer must be a function, got {type(obj).__name__}")
    name = getattr(obj, "__name__", None) or type(obj).__name__
    if name == "<lambda>":
        raise InvalidParameterError("a lambda scorer needs a name: spanwise.scorer(name=...)(fn)")
    return Scorer(name, obj, _wants(obj, name))


def scorer(func: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Make ``func`` a scorer (``@spanwise.scorer`` or ``spanwise.scorer(name="x")(fn)``);
    plain functions work as scorers too, named after themselves."""

    def make(f: Callable[..., Any]) -> Scorer:
        if not callable(f):
            raise InvalidParameterError("spanwise.scorer decorates a function")
        label = name or getattr(f, "__name__", None) or type(f).__name__
        if label == "<lambda>":
            raise InvalidParameterError("a lambda scorer needs a name: spanwise.scorer(name=...)")
        return Scorer(label, f, _wants(f, label))

    return make if func is None else make(func)
