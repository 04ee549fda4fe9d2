"""A kind of LLM call we trace, as data: how to read its request, its result and
its stream."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Operation:
    name: str  # gen_ai.operation.name; the span is named "{name} {model}"
    span_type: str
    request: Callable[[Mapping[str, Any], dict[str, Any]], None]
    inputs: Callable[[Mapping[str, Any]], Any]
    response: Callable[[Any, dict[str, Any]], Any]
    accumulator: Callable[[], Any] | None
    model_arg: str = "model"  # the call's argument naming the model (Bedrock: modelId)
    # Adjusts the call's own kwargs before it is made (instance, kwargs); True when the
    # stream will end with a usage-only chunk the caller did not ask for (hidden).
    prepare: Callable[[Any, dict[str, Any]], bool] | None = None
