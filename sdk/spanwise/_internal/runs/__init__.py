"""MLflow-style experiment runs: fluent API, event sender, query client, result types."""

from __future__ import annotations

from .. import attributes as _attrs
from .. import provider as _provider
from .state import ACTIVE as _ACTIVE


def _tag_span_with_run(span: object) -> None:
    # A START_HOOK: every span started while a run is active carries its id.
    stack = _ACTIVE.get()
    if stack:
        span.set_attribute(_attrs.RUN_ID, stack[-1].run_id)  # type: ignore[attr-defined]


if _tag_span_with_run not in _provider.START_HOOKS:
    _provider.START_HOOKS.append(_tag_span_with_run)
