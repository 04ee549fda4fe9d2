"""Every integration ``spanwise.autolog()`` knows: the library it needs and how to enable it.

Add an entry per integration; its ``enable`` must import the library lazily.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import log_internal_error

logger = logging.getLogger("spanwise")


@dataclass(frozen=True)
class Integration:
    library: str  # top-level module that must be importable, e.g. "openai"
    enable: Callable[[bool], None]  # enable(disable)


def _openai(disable: bool) -> None:
    from .openai import autolog

    autolog(disable=disable)


def _anthropic(disable: bool) -> None:
    from .anthropic import autolog

    autolog(disable=disable)


def _gemini(disable: bool) -> None:
    from .gemini import autolog

    autolog(disable=disable)


def _openai_agents(disable: bool) -> None:
    from .openai_agents import autolog

    autolog(disable=disable)


def _bedrock(disable: bool) -> None:
    from .bedrock import autolog

    autolog(disable=disable)


def _mistral(disable: bool) -> None:
    from .mistral import autolog

    autolog(disable=disable)


def _langchain(disable: bool) -> None:
    from .langchain.autolog import autolog

    autolog(disable=disable)


INTEGRATIONS: list[Integration] = [
    Integration("openai", _openai),
    Integration("anthropic", _anthropic),
    Integration("google.genai", _gemini),
    Integration("agents", _openai_agents),
    Integration("botocore", _bedrock),
    Integration("mistralai", _mistral),
    Integration("langchain_core", _langchain),
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
