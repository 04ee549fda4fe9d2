"""The count-once rule: which span of a doubly recorded LLM call carries its cost.

A framework span (LangChain's chat-model span) and, nested inside it, the client-library
span of the same call (OpenAI autolog, opentelemetry-instrumentation-openai-v2) both carry
model and usage. Only one may carry the cost, or trace totals double.

Rule (docs/pricing.md): the innermost usage span carries the cost — it is the one closest
to the provider's response (exact model snapshot, cached and reasoning tokens).

1. A usage span with a usage descendant gets ``counted_in_child`` (cost NULL, tokens kept).
2. Spans stored are never rewritten at ingest. So when a usage span arrives whose usage
   ancestor is ALREADY STORED with a cost (the rare order: the parent reached the collector
   first, e.g. two exporters), the late descendant gets ``counted_in_parent`` instead.

Either way exactly one span of the call carries the cost, in both arrival orders.
A "usage span" is a span of a priced type (LLM, CHAT_MODEL, EMBEDDING) with tokens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["COUNTED_IN_CHILD", "COUNTED_IN_PARENT", "DEFERRED", "Known", "decide"]

COUNTED_IN_CHILD = "counted_in_child"
COUNTED_IN_PARENT = "counted_in_parent"
DEFERRED = frozenset({COUNTED_IN_CHILD, COUNTED_IN_PARENT})

# A span seen before this batch: (parent span id, is a usage span, has a cost, cost status).
Known = tuple[str, bool, bool, str]

_MAX_DEPTH = 1000  # a guard against parent cycles in malformed input


def decide(
    parents: Mapping[str, str], usage: Iterable[str], known: Mapping[str, Known]
) -> dict[str, str]:
    """Deferral status for the batch's usage spans of ONE trace: span id → status.

    ``parents``: every span of the trace in this batch → its parent id; ``usage``: the
    batch's usage span ids; ``known``: spans of the trace stored earlier (or in flight),
    without the batch's own span ids (a re-delivered span is judged by its new copy).
    """

    def parent_of(span_id: str) -> str:
        if span_id in parents:
            return parents[span_id]
        found = known.get(span_id)
        return found[0] if found is not None else ""

    usage = list(usage)
    out: dict[str, str] = {}
    # Rule 2: an ancestor already stored with a cost keeps it.
    for span_id in usage:
        node, depth = parent_of(span_id), 0
        while node and depth < _MAX_DEPTH:
            if node not in parents:
                found = known.get(node)
                if found is None:
                    break  # the chain continues in spans not seen yet
                if found[1] and found[2]:
                    out[span_id] = COUNTED_IN_PARENT
                    break
            node, depth = parent_of(node), depth + 1
    # Rule 1: every usage ancestor in the batch of a cost-carrying usage span defers to it.
    in_batch = set(usage)
    carriers = [s for s in usage if s not in out]
    carriers += [s for s, k in known.items() if k[1] and k[3] != COUNTED_IN_PARENT]
    for span_id in carriers:
        node, depth = parent_of(span_id), 0
        while node and depth < _MAX_DEPTH:
            if node in in_batch and node not in out:
                out[node] = COUNTED_IN_CHILD
            node, depth = parent_of(node), depth + 1
    return out
