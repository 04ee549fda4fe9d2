"""The ``google-genai`` client's targets and how each is wrapped; patching is shared."""

from __future__ import annotations

from typing import Any

from ..llm_client.patching import Patcher
from ..llm_client.settings import Current
from ..llm_client.targets import Target
from . import calls, hops

CURRENT = Current()

_MODELS = "google.genai.models"

# Public methods make the spans; the per-request methods only record what each
# request of a call sent and got (`hops`), and pass through outside a traced call.
_WRAPPERS: dict[str, Any] = {
    "Models.generate_content": calls.generate_sync(CURRENT),
    "AsyncModels.generate_content": calls.generate_async(CURRENT),
    "Models.generate_content_stream": calls.stream_sync(CURRENT),
    "AsyncModels.generate_content_stream": calls.stream_async(CURRENT),
    "Models.embed_content": calls.embed_sync(CURRENT),
    "AsyncModels.embed_content": calls.embed_async(CURRENT),
    "Models._generate_content": hops.request_sync,
    "AsyncModels._generate_content": hops.request_async,
    "Models._generate_content_stream": hops.stream_request_sync,
    "AsyncModels._generate_content_stream": hops.stream_request_async,
}

TARGETS: tuple[Target, ...] = tuple(
    Target(_MODELS, path, None, path.startswith("Async")) for path in _WRAPPERS
)


def _make_wrapper(target: Target, genai: Any) -> Any:
    return _WRAPPERS[target.path]


PATCHER = Patcher(
    library="google.genai",
    extra="gemini",
    min_version=(1, 0),
    targets=TARGETS,
    make_wrapper=_make_wrapper,
    current=CURRENT,
)
