"""Every integration ``spanwise.autolog()`` knows: the library it needs and how to enable it.

Add an entry per integration; its module's ``autolog`` must import the library lazily.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass

from ..errors import log_internal_error

logger = logging.getLogger("spanwise")


@dataclass(frozen=True)
class Integration:
    library: str  # the module that must be importable, e.g. "openai"
    module: str  # ours, below this package, whose ``autolog(disable=…)`` enables it

    def enable(self, disable: bool) -> None:
        importlib.import_module(f"{__package__}.{self.module}").autolog(disable=disable)


INTEGRATIONS: list[Integration] = [
    Integration("openai", "openai"),
    Integration("anthropic", "anthropic"),
    Integration("google.genai", "gemini"),
    Integration("agents", "openai_agents"),
    Integration("botocore", "bedrock"),
    Integration("mistralai", "mistral"),
    Integration("groq", "groq"),
    Integration("langchain_core", "langchain.autolog"),
]


def installed(library: str) -> bool:
    try:
        return importlib.util.find_spec(library) is not None
    except (ImportError, ValueError):
        return False


def autolog(disable: bool = False) -> list[str]:
    """Enable (or disable) every integration whose library is installed; their names."""
    done = []
    for integration in INTEGRATIONS:
        if not installed(integration.library):
            continue
        try:
            integration.enable(disable)
            done.append(integration.library)
        except Exception:
            log_internal_error(f"{'disabling' if disable else 'enabling'} {integration.library}")
    logger.debug("spanwise: autolog %s for %s", "disabled" if disable else "enabled", done)
    return done
