"""Derive the typed span columns from attributes written by any instrumentation.

Readers, in order of preference: Spanwise's own keys, the OpenTelemetry GenAI
semantic conventions (``gen_ai.*``), OpenInference (``llm.*``, ``input.value``),
OpenLLMetry (``llm.usage.*``, ``gen_ai.prompt``) and MLflow (``mlflow.*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TAG_PREFIX = "spanwise.trace.tags."
METADATA_PREFIX = "spanwise.trace.metadata."

INPUT_KEYS = (
    "spanwise.inputs",
    "input.value",
    "gen_ai.input.messages",
    "mlflow.spanInputs",
    "gen_ai.prompt",
)
OUTPUT_KEYS = (
    "spanwise.outputs",
    "output.value",
    "gen_ai.output.messages",
    "mlflow.spanOutputs",
    "gen_ai.completion",
)
TYPE_KEYS = ("spanwise.span.type", "openinference.span.kind", "mlflow.spanType")
MODEL_KEYS = (
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",
    "llm.response.model",
    "llm.request.model",
)
PROVIDER_KEYS = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
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
    "llm.token_count.prompt_details.cache_read",
    "gen_ai.usage.cached_tokens",
)
CACHE_WRITE_KEYS = (
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
)
REASONING_KEYS = (
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
)
SESSION_KEYS = ("session.id", "gen_ai.conversation.id", "langfuse.session.id")
USER_KEYS = ("user.id", "enduser.id", "langfuse.user.id")
RUN_KEYS = ("spanwise.run_id",)
PROJECT_KEYS = ("spanwise.project",)

# GenAI semconv provider names → the provider ids prices are keyed by.
PROVIDER_ALIASES = {"azure.ai.openai": "azure", "az.ai.openai": "azure"}

# gen_ai.operation.name → span type, for spans that carry no explicit type.
_OPERATION_TYPES = {
    "chat": "LLM",
    "text_completion": "LLM",
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


def _first(attrs: dict[str, str], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = attrs.get(key)
        if value:
            return value
    return ""


def _pop_first(attrs: dict[str, str], keys: tuple[str, ...]) -> str:
    for key in keys:
        if key in attrs:
            return attrs.pop(key)
    return ""


def _tokens(attrs: dict[str, str], keys: tuple[str, ...]) -> int:
    """A token count; absurd values (negative, non-numeric) count as 0."""
    raw = _first(attrs, keys)
    if not raw:
        return 0
    try:
        value = int(float(raw))
    except (ValueError, OverflowError):
        return 0
    return value if 0 <= value < 1 << 40 else 0


def derive(attrs: dict[str, str]) -> Derived:
    """Read the typed fields; moves inputs/outputs/tags/metadata out of ``attrs``."""
    d = Derived()
    d.input = _pop_first(attrs, INPUT_KEYS)
    d.output = _pop_first(attrs, OUTPUT_KEYS)
    span_type = _first(attrs, TYPE_KEYS).upper()
    if not span_type:
        span_type = _OPERATION_TYPES.get(attrs.get("gen_ai.operation.name", ""), "UNKNOWN")
    d.span_type = span_type
    d.model = _first(attrs, MODEL_KEYS)
    provider = _first(attrs, PROVIDER_KEYS).lower()
    d.provider = PROVIDER_ALIASES.get(provider, provider)
    if d.model or d.provider:
        d.input_tokens = _tokens(attrs, INPUT_TOKEN_KEYS)
        d.output_tokens = _tokens(attrs, OUTPUT_TOKEN_KEYS)
        d.cached_tokens = _tokens(attrs, CACHED_TOKEN_KEYS)
        d.cache_write_tokens = _tokens(attrs, CACHE_WRITE_KEYS)
        d.reasoning_tokens = _tokens(attrs, REASONING_KEYS)
    d.session_id = _first(attrs, SESSION_KEYS)
    d.user_id = _first(attrs, USER_KEYS)
    d.run_id = _first(attrs, RUN_KEYS)
    d.project = _first(attrs, PROJECT_KEYS)
    prefixed = [k for k in attrs if k.startswith("spanwise.trace.")]
    for key in prefixed:
        if key.startswith(TAG_PREFIX):
            d.tags[key[len(TAG_PREFIX) :]] = attrs.pop(key)
        elif key.startswith(METADATA_PREFIX):
            d.metadata[key[len(METADATA_PREFIX) :]] = attrs.pop(key)
    return d
