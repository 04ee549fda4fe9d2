"""Derive the typed span columns from attributes written by any instrumentation.

Readers, in order of preference: Spanwise's own keys, the OpenTelemetry GenAI
semantic conventions (``gen_ai.*``), OpenInference (``llm.*``, ``input.value``),
OpenLLMetry (``llm.usage.*``, ``gen_ai.prompt``), MLflow (``mlflow.*``) and the Langfuse
SDK (``langfuse.*``); the last two give token counts as one JSON object (``usage_json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..trace_tags.encoding import stamp, unstamp

TAG_PREFIX = "spanwise.trace.tags."
METADATA_PREFIX = "spanwise.trace.metadata."
# When the SDK's update_current_trace wrote each tag/metadata key (ns since the epoch), a
# JSON object {"tags.<key>": ns, "metadata.<key>": ns}: values are stamped with it (or the
# span's end) so the summary keeps each key's latest write (trace_tags/encoding.py).
WRITTEN_KEY = "spanwise.trace.written"

INPUT_KEYS = (
    "spanwise.inputs",
    "input.value",
    "gen_ai.input.messages",
    "mlflow.spanInputs",
    "gen_ai.prompt",
    "langfuse.observation.input",
    "langfuse.trace.input",
)
OUTPUT_KEYS = (
    "spanwise.outputs",
    "output.value",
    "gen_ai.output.messages",
    "mlflow.spanOutputs",
    "gen_ai.completion",
    "langfuse.observation.output",
    "langfuse.trace.output",
)
# Span types whose usage is a priced model call (MLflow writes CHAT_MODEL).
PRICED_TYPES = frozenset({"LLM", "CHAT_MODEL", "EMBEDDING"})
TYPE_KEYS = (
    "spanwise.span.type",
    "openinference.span.kind",
    "mlflow.spanType",
    "langfuse.observation.type",
    "traceloop.span.kind",
)
# Type names other systems use for ours (Langfuse: generation, span, event; OpenLLMetry's
# decorators: workflow, task).
TYPE_ALIASES = {
    "GENERATION": "LLM", "SPAN": "UNKNOWN", "EVENT": "UNKNOWN", "WORKFLOW": "CHAIN",
    "TASK": "CHAIN",
}  # fmt: skip
MODEL_KEYS = (
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",
    "llm.response.model",
    "llm.request.model",
    "mlflow.llm.model",
    "langfuse.observation.model.name",
)
PROVIDER_KEYS = (
    "gen_ai.provider.name",
    "gen_ai.system",
    "llm.provider",
    "llm.system",
    "mlflow.llm.provider",
)
INPUT_TOKEN_KEYS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
    "llm.usage.prompt_tokens",
)
OUTPUT_TOKEN_KEYS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
    "llm.usage.completion_tokens",
)
CACHED_TOKEN_KEYS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
    "gen_ai.usage.cached_tokens",
)
CACHE_WRITE_KEYS = (
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.cache_write.input_tokens",  # the anthropic client's own spans
    "llm.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
)
REASONING_KEYS = (
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
)
SESSION_KEYS = ("session.id", "gen_ai.conversation.id", "langfuse.session.id")
# Token counts as one JSON object (``usage_json``): MLflow's, the Langfuse SDK's.
USAGE_JSON_KEYS = ("mlflow.chat.tokenUsage", "langfuse.observation.usage_details")
USER_KEYS = ("user.id", "enduser.id", "langfuse.user.id")
RUN_KEYS = ("spanwise.run_id",)
PROJECT_KEYS = ("spanwise.project",)

# GenAI semconv provider names → the provider ids prices are keyed by.
PROVIDER_ALIASES = {"azure.ai.openai": "azure", "az.ai.openai": "azure"}

# gen_ai.operation.name (or OpenLLMetry's llm.request.type) → span type, for spans that
# carry no explicit type.
_OPERATION_TYPES = {
    "chat": "LLM",
    "text_completion": "LLM",
    "completion": "LLM",
    "embedding": "EMBEDDING",
    "rerank": "RERANKER",
    "generate_content": "LLM",
    "embeddings": "EMBEDDING",
    "execute_tool": "TOOL",
    "invoke_agent": "AGENT",
    "create_agent": "AGENT",
}


@dataclass
class Derived:
    span_type: str = "UNKNOWN"
    input: str = ""
    output: str = ""
    model: str = ""
    provider: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    session_id: str = ""
    user_id: str = ""
    run_id: str = ""
    project: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)


# The hot path (``derive_row``) reads each key group in one pass over the keys a span
# actually has: key -> (slot, rank in its group). Lower rank wins, as in the tuples above.
(_INPUT, _OUTPUT, _TYPE, _OPERATION, _MODEL, _PROVIDER, _IN_TOK, _OUT_TOK, _CACHED, _CWRITE,
 _REASONING, _SESSION, _USER, _RUN, _PROJECT, _USAGE_JSON) = range(16)  # fmt: skip
_GROUPS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (_INPUT, INPUT_KEYS), (_OUTPUT, OUTPUT_KEYS), (_TYPE, TYPE_KEYS),
    (_OPERATION, ("gen_ai.operation.name", "llm.request.type")), (_MODEL, MODEL_KEYS),
    (_PROVIDER, PROVIDER_KEYS),
    (_IN_TOK, INPUT_TOKEN_KEYS), (_OUT_TOK, OUTPUT_TOKEN_KEYS), (_CACHED, CACHED_TOKEN_KEYS),
    (_CWRITE, CACHE_WRITE_KEYS), (_REASONING, REASONING_KEYS), (_SESSION, SESSION_KEYS),
    (_USER, USER_KEYS), (_RUN, RUN_KEYS), (_PROJECT, PROJECT_KEYS),
    (_USAGE_JSON, USAGE_JSON_KEYS),
)  # fmt: skip
_ROLE: dict[str, tuple[int, int]] = {
    key: (slot, rank) for slot, keys in _GROUPS for rank, key in enumerate(keys)
}
assert len(_ROLE) == sum(len(keys) for _, keys in _GROUPS), "a key in two groups"
_KNOWN = frozenset(_ROLE)
_POPPED = (_INPUT, _OUTPUT)  # taken out of the attributes even when empty
_TRACE_PREFIXES = ("spanwise.trace.", "langfuse.trace.")
_LF_TAGS = "langfuse.trace.tags"
_LF_METADATA_PREFIX = "langfuse.trace.metadata."

# (span_type, input, output, model, provider, input_tokens, output_tokens, cached_tokens,
#  cache_write_tokens, reasoning_tokens, session_id, user_id, run_id, project, tags, metadata);
# tags/metadata are tuples of (key, value) pairs.
Row = tuple[str, str, str, str, str, int, int, int, int, int, str, str, str, str, tuple, tuple]


def _count(raw: str) -> int:
    """A token count; absurd values (negative, non-numeric) count as 0."""
    if not raw:
        return 0
    try:
        value = int(raw) if raw.isdigit() else int(float(raw))
    except (ValueError, OverflowError):
        return 0
    return value if 0 <= value < 1 << 40 else 0


def derive_row(attrs: dict[str, str], end_ns: int = 0) -> Row:
    """The typed fields of one span; moves inputs/outputs/tags/metadata out of ``attrs``.

    Rules: the first key of a group (in the order of the tuples above) that holds a
    non-empty value wins; for inputs/outputs the first key present wins, even empty.
    """
    best: dict[int, tuple[int, str]] = {}
    for key in attrs.keys() & _KNOWN:
        slot, rank = _ROLE[key]
        if not attrs[key] and slot not in _POPPED:
            continue
        cur = best.get(slot)
        if cur is None or rank < cur[0]:
            best[slot] = (rank, key)
    got = {slot: attrs[key] for slot, (_, key) in best.items()}
    for slot in _POPPED:
        if slot in best:
            del attrs[best[slot][1]]
    get = got.get
    span_type = get(_TYPE, "")
    model = get(_MODEL, "")
    provider = get(_PROVIDER, "")
    # MLflow JSON-encodes its values ('"AGENT"'); no other dialect starts one with a quote.
    if span_type.startswith('"') or model.startswith('"') or provider.startswith('"'):
        span_type, model, provider = _unquote(span_type), _unquote(model), _unquote(provider)
    span_type = span_type.upper()
    span_type = TYPE_ALIASES.get(span_type, span_type)
    if not span_type:
        span_type = _OPERATION_TYPES.get(get(_OPERATION, ""), "UNKNOWN")
    provider = provider.lower()
    provider = PROVIDER_ALIASES.get(provider, provider)
    inp = out = cached = write = reasoning = 0
    if model or provider:
        inp, out = _count(get(_IN_TOK, "")), _count(get(_OUT_TOK, ""))
        cached, write = _count(get(_CACHED, "")), _count(get(_CWRITE, ""))
        reasoning = _count(get(_REASONING, ""))
        if not (inp or out) and _USAGE_JSON in got:
            inp, out, cached, write, reasoning = usage_json(got[_USAGE_JSON])
        # "totals with subsets" (docs/pricing.md): input includes cache reads/writes and
        # output includes reasoning, except Anthropic's input_tokens and Gemini's candidates
        # count, recognisable only when a part exceeds its total: then the part is added.
        if cached + write > inp:
            inp += cached + write
        if reasoning > out:
            out += reasoning
        # A span that names no type but a model it used and its tokens (an instrumentation
        # of its own): a model call, priced.
        if span_type == "UNKNOWN" and model and (inp or out) and not got.get(_TYPE):
            span_type = "LLM"
    tags: tuple = ()
    metadata: tuple = ()
    prefixed = [k for k in attrs if k.startswith(_TRACE_PREFIXES)]
    if prefixed:
        t: list[tuple[str, str]] = []
        m: list[tuple[str, str]] = []
        written: dict[str, int] = {}
        for key in prefixed:
            if key.startswith(TAG_PREFIX):
                t.append((key[len(TAG_PREFIX) :], attrs.pop(key)))
            elif key.startswith(METADATA_PREFIX):
                m.append((key[len(METADATA_PREFIX) :], attrs.pop(key)))
            elif key == _LF_TAGS:  # labels without values: tags with empty values
                t.extend((label, "") for label in _labels(attrs.pop(key)))
            elif key.startswith(_LF_METADATA_PREFIX):
                m.append((key[len(_LF_METADATA_PREFIX) :], _unquote(attrs.pop(key))))
            elif key == WRITTEN_KEY:
                written = _written(attrs.pop(key))
        tags = tuple((k, stamp(written.get("tags." + k) or end_ns, v)) for k, v in t)
        metadata = tuple((k, stamp(written.get("metadata." + k) or end_ns, v)) for k, v in m)
    return (span_type, get(_INPUT, ""), get(_OUTPUT, ""), model, provider, inp, out, cached,
            write, reasoning, get(_SESSION, ""), get(_USER, ""), get(_RUN, ""),
            get(_PROJECT, ""), tags, metadata)  # fmt: skip


def _written(text: str) -> dict[str, int]:
    """The SDK's write times of a span's keys; times that are not ns since the epoch
    (< 2**64) are left out (the span's end stands in)."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {
        k: t for k, t in value.items() if type(t) is int and 0 < t < 1 << 64 and isinstance(k, str)
    }


# Usage objects as MLflow writes them (input_tokens, cache_read_input_tokens, …) and as
# the Langfuse SDK does: its own names ("input", "output"), or the provider's usage object
# as returned (OpenAI chat / Responses with their *_details, Anthropic).
_U_INPUT = ("input", "prompt_tokens", "input_tokens")
_U_OUTPUT = ("output", "completion_tokens", "output_tokens")
_U_CACHED = ("input_cached_tokens", "input_cache_read", "cache_read_input_tokens",
              "prompt_tokens_details.cached_tokens", "input_tokens_details.cached_tokens")  # fmt: skip
_U_WRITE = ("input_cache_creation", "cache_creation_input_tokens")
_U_REASONING = ("output_reasoning_tokens", "output_reasoning",
                 "completion_tokens_details.reasoning_tokens",
                 "output_tokens_details.reasoning_tokens")  # fmt: skip


def usage_json(text: str) -> tuple[int, int, int, int, int]:
    """(input, output, cache read, cache write, reasoning) tokens of a usage JSON object;
    zeros for anything unreadable."""
    try:
        usage = json.loads(text)
    except ValueError:
        return 0, 0, 0, 0, 0
    if not isinstance(usage, dict):
        return 0, 0, 0, 0, 0
    flat = dict(usage)
    for name, value in usage.items():  # OpenAI's *_tokens_details objects, one level down
        if isinstance(value, dict):
            flat.update({f"{name}.{k}": v for k, v in value.items()})

    def first(names: tuple[str, ...]) -> int:
        for name in names:
            value = flat.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return _count(str(int(value)))
        return 0

    return (first(_U_INPUT), first(_U_OUTPUT), first(_U_CACHED), first(_U_WRITE),
            first(_U_REASONING))  # fmt: skip


def _labels(text: str) -> list[str]:
    """A string-array attribute (stored as JSON text) as its strings."""
    try:
        value = json.loads(text)
    except ValueError:
        return [text] if text else []
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v) for v in value if v not in ("", None)]
    return [text]


def _unquote(text: str) -> str:
    """A JSON-encoded string as itself ('"acme"' is acme: Langfuse's metadata, MLflow's
    attributes); anything else as it is."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if isinstance(value, str):
            return value
    return text


def derive(attrs: dict[str, str]) -> Derived:
    """``derive_row`` as a `Derived` (readable; the ingest path uses the tuple)."""
    r = derive_row(attrs)
    return Derived(
        *r[:14],
        tags={k: unstamp(v)[1] for k, v in r[14]},
        metadata={k: unstamp(v)[1] for k, v in r[15]},
    )
