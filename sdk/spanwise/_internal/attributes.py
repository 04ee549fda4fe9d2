"""Every span attribute key Spanwise writes or reads, defined once.

Spanwise's own keys live under ``spanwise.*``; LLM calls use the OpenTelemetry
GenAI semantic conventions (``gen_ai.*``) so that any OTel backend understands
them, and the collector also reads the OpenInference / OpenLLMetry spellings.
"""

from __future__ import annotations

__all__ = ["SpanType"]

# --- Spanwise span attributes -------------------------------------------------
SPAN_TYPE = "spanwise.span.type"
INPUTS = "spanwise.inputs"
OUTPUTS = "spanwise.outputs"
FUNCTION = "code.function.name"
RUN_ID = "spanwise.run_id"
PROJECT = "spanwise.project"
# update_current_trace(): one attribute per key so repeated calls merge.
TRACE_TAG_PREFIX = "spanwise.trace.tags."
TRACE_METADATA_PREFIX = "spanwise.trace.metadata."
# When each tag/metadata key was written (ns since the epoch), one JSON object per span:
# {"tags.<key>": ns, "metadata.<key>": ns}. The latest write of a key across spans wins.
TRACE_WRITTEN = "spanwise.trace.written"
# OpenTelemetry semantic conventions for the conversation and the end user.
SESSION_ID = "session.id"
USER_ID = "user.id"
# A registered prompt version used in the span (Prompt.format / load_prompt); the trace
# gets the tag PROMPT_TAG_PREFIX + name = version.
PROMPT_NAME = "spanwise.prompt.name"
PROMPT_VERSION = "spanwise.prompt.version"
PROMPT_TAG_PREFIX = "prompt."
# spanwise.evaluate: trace metadata keys naming the record (and dataset) a trace answered;
# the collector's UI pairs runs' traces by the record id.
EVALUATION_RECORD_ID = "evaluation.record_id"
EVALUATION_DATASET = "evaluation.dataset"
# Exception events (OTel semantic conventions).
EXCEPTION_EVENT = "exception"
# LangGraph node runs (spanwise.langchain.autolog()).
LANGGRAPH_NODE = "langgraph.node"
LANGGRAPH_STEP = "langgraph.step"
# A chat model answered from LangChain's LLM cache (no call made, nothing to price).
LANGCHAIN_CACHE_HIT = "langchain.cache_hit"

# --- OpenTelemetry GenAI semantic conventions ---------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_SYSTEM = "gen_ai.system"  # the older name of gen_ai.provider.name
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_OUTPUT_TYPE = "gen_ai.output.type"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_SERVER_TIME_TO_FIRST_TOKEN = "gen_ai.server.time_to_first_token"
GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
GEN_AI_REQUEST_ENCODING_FORMATS = "gen_ai.request.encoding_formats"
GEN_AI_EMBEDDINGS_DIMENSION_COUNT = "gen_ai.embeddings.dimension.count"
# OpenAI-specific semantic conventions (service tier changes the price).
OPENAI_REQUEST_SERVICE_TIER = "openai.request.service_tier"
OPENAI_RESPONSE_SERVICE_TIER = "openai.response.service_tier"
OPENAI_RESPONSE_SYSTEM_FINGERPRINT = "openai.response.system_fingerprint"
ERROR_TYPE = "error.type"
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"

# Well-known values of gen_ai.operation.name and gen_ai.provider.name.
GEN_AI_OPERATION_CHAT = "chat"
GEN_AI_OPERATION_EMBEDDINGS = "embeddings"
GEN_AI_PROVIDER_OPENAI = "openai"
GEN_AI_PROVIDER_AZURE_OPENAI = "azure.ai.openai"
GEN_AI_PROVIDER_ANTHROPIC = "anthropic"


class SpanType:
    """The span types Spanwise knows (the same vocabulary as OpenInference)."""

    LLM = "LLM"
    CHAT_MODEL = "CHAT_MODEL"
    CHAIN = "CHAIN"
    AGENT = "AGENT"
    TOOL = "TOOL"
    RETRIEVER = "RETRIEVER"
    EMBEDDING = "EMBEDDING"
    RERANKER = "RERANKER"
    PARSER = "PARSER"
    UNKNOWN = "UNKNOWN"

    ALL = frozenset(
        {LLM, CHAT_MODEL, CHAIN, AGENT, TOOL, RETRIEVER, EMBEDDING, RERANKER, PARSER, UNKNOWN}
    )
