"""Apply and remove an integration's wrapt patches; idempotent and reversible.

Patching is rare and takes a lock; the wrappers themselves never do.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import log_internal_error
from .settings import Current, Options
from .targets import Target

logger = logging.getLogger("spanwise")


@dataclass(frozen=True)
class _Applied:
    owner: Any
    attribute: str
    original: Any
    wrapper: Any


def version_tuple(text: str) -> tuple[int, ...]:
    """``"1.40.2rc1"`` -> ``(1, 40)``: major and minor, enough to compare."""
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


class Patcher:
    """The patches of one client library.

    ``make_wrapper(target, library)`` builds the wrapt wrapper of a target;
    ``prepare(library)`` runs once, before the first patch (types to remember).
    """

    def __init__(
        self,
        library: str,
        extra: str,
        min_version: tuple[int, ...],
        targets: tuple[Target, ...],
        make_wrapper: Callable[[Target, Any], Any],
        current: Current,
        prepare: Callable[[Any], None] | None = None,
    ) -> None:
        self.library = library
        self.extra = extra
        self.min_version = min_version
        self.targets = targets
        self.make_wrapper = make_wrapper
        self.current = current
        self.prepare = prepare
        self._lock = threading.Lock()
        self._applied: list[_Applied] = []

    def _patch(self, target: Target, module: Any, seen: set[tuple[int, str]]) -> None:
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
        wrapper = wrapt.wrap_function_wrapper(
            target.module, target.path, self.make_wrapper(target, module)
        )
        self._applied.append(_Applied(owner, attribute, original, wrapper))

    def enable(self, options: Options) -> bool:
        """Patch every target (once) and put ``options`` in force. ``False`` without
        the library (or with a version too old)."""
        with self._lock:
            if self._applied:
                self.current.options = options
                return True
            try:
                module = importlib.import_module(self.library)
            except ImportError:
                logger.warning(
                    "spanwise: %s is not installed; pip install 'spanwise[%s]'",
                    self.library,
                    self.extra,
                )
                return False
            version = getattr(module, "__version__", "0")
            if version_tuple(version) < self.min_version:
                logger.warning(
                    "spanwise: %s %s is older than %s; not instrumented",
                    self.library,
                    version,
                    ".".join(map(str, self.min_version)),
                )
                return False
            if self.prepare is not None:
                self.prepare(module)
            seen: set[tuple[int, str]] = set()
            for target in self.targets:
                try:
                    self._patch(target, module, seen)
                except Exception:
                    log_internal_error(f"patching {target.module}.{target.path}")
            self.current.options = options
            return True

    def disable(self) -> None:
        """Remove every patch. A patch another library has wrapped over stays, inert."""
        with self._lock:
            self.current.options = None
            while self._applied:
                patch = self._applied.pop()
                try:
                    if patch.owner.__dict__.get(patch.attribute) is patch.wrapper:
                        setattr(patch.owner, patch.attribute, patch.original)
                    else:
                        logger.warning(
                            "spanwise: %s.%s was wrapped again after us; leaving our (now "
                            "inert) wrapper in place",
                            getattr(patch.owner, "__qualname__", patch.owner),
                            patch.attribute,
                        )
                except Exception:
                    log_internal_error(f"removing a {self.library} patch")

    def is_enabled(self) -> bool:
        return self.current.options is not None

    def public_api(
        self, traces: str, disabled: str = "removes every patch"
    ) -> tuple[Callable[..., None], Callable[[], bool]]:
        """The integration's public ``autolog`` and ``is_enabled``; ``traces`` says what
        ``autolog()`` traces, ``disabled`` what ``disable=True`` does."""
        patcher = self

        def autolog(
            disable: bool = False, log_inputs: bool = True, log_outputs: bool = True
        ) -> None:
            patcher.autolog(disable, log_inputs, log_outputs)

        autolog.__doc__ = (
            f"Trace {traces}.\n\n"
            "Idempotent: calling it again only changes ``log_inputs``/``log_outputs``.\n"
            f"``disable=True`` {disabled}.\n"
        )

        def is_enabled() -> bool:
            """Whether ``autolog()`` is on."""
            return patcher.is_enabled()

        autolog.__qualname__, is_enabled.__qualname__ = "autolog", "is_enabled"
        return autolog, is_enabled

    def autolog(self, disable: bool, log_inputs: bool, log_outputs: bool) -> None:
        """What every integration's ``autolog()`` does: enable with those options, or
        remove every patch."""
        if disable:
            self.disable()
            return
        self.enable(Options(log_inputs=bool(log_inputs), log_outputs=bool(log_outputs)))
