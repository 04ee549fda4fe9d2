"""Apply and remove the wrapt patches; idempotent and reversible.

Patching is rare and takes a lock; the wrappers themselves never do.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

from ...errors import log_internal_error
from . import request, wrappers
from .settings import CURRENT, Options
from .targets import TARGETS, Target

logger = logging.getLogger("spanwise")

MIN_VERSION = (1, 40)


@dataclass(frozen=True)
class _Applied:
    owner: Any
    attribute: str
    original: Any
    wrapper: Any


_lock = threading.Lock()
_applied: list[_Applied] = []


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _make_wrapper(target: Target, openai: Any) -> Any:
    if target.operation is None:
        return wrappers.stream_helper(target.is_async)
    if target.is_async:
        return wrappers.async_call(target.operation, openai.AsyncStream)
    return wrappers.sync_call(target.operation, openai.Stream)


def _patch(target: Target, openai: Any, seen: set[tuple[int, str]]) -> None:
    import wrapt

    try:
        importlib.import_module(target.module)
        owner, attribute, original = wrapt.resolve_path(target.module, target.path)
    except (ImportError, AttributeError):
        return  # not in this client version
    key = (id(owner), attribute)
    if key in seen:  # the same class reachable under two module paths
        return
    seen.add(key)
    wrapper = wrapt.wrap_function_wrapper(target.module, target.path, _make_wrapper(target, openai))
    _applied.append(_Applied(owner, attribute, original, wrapper))


def enable(options: Options) -> bool:
    """Patch every target (once) and put ``options`` in force. ``False`` without openai."""
    with _lock:
        if _applied:
            CURRENT.options = options
            return True
        try:
            import openai
        except ImportError:
            logger.warning("spanwise: openai is not installed; pip install 'spanwise[openai]'")
            return False
        if _version(getattr(openai, "__version__", "0")) < MIN_VERSION:
            logger.warning(
                "spanwise: openai %s is older than %s; not instrumented",
                openai.__version__,
                ".".join(map(str, MIN_VERSION)),
            )
            return False
        try:
            from openai.lib.azure import BaseAzureClient

            request.AZURE_CLIENT_TYPES = (BaseAzureClient,)
        except ImportError:
            request.AZURE_CLIENT_TYPES = ()
        seen: set[tuple[int, str]] = set()
        for target in TARGETS:
            try:
                _patch(target, openai, seen)
            except Exception:
                log_internal_error(f"patching openai {target.module}.{target.path}")
        CURRENT.options = options
        return True


def disable() -> None:
    """Remove every patch. A patch another library has wrapped over stays, inert."""
    with _lock:
        CURRENT.options = None
        while _applied:
            patch = _applied.pop()
            try:
                if patch.owner.__dict__.get(patch.attribute) is patch.wrapper:
                    setattr(patch.owner, patch.attribute, patch.original)
                else:
                    logger.warning(
                        "spanwise: %s.%s was wrapped again after us; leaving our (now inert) "
                        "wrapper in place",
                        getattr(patch.owner, "__qualname__", patch.owner),
                        patch.attribute,
                    )
            except Exception:
                log_internal_error("removing an openai patch")


def is_enabled() -> bool:
    return CURRENT.options is not None
