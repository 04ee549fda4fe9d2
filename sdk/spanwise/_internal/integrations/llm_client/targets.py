"""What an integration patches, as data: public methods of the client's resources.

A target missing from the installed client (``beta`` paths of older versions,
``parse`` before it existed) is skipped, so one table serves many client versions.
"""

from __future__ import annotations

from dataclasses import dataclass

from .operation import Operation


@dataclass(frozen=True)
class Target:
    module: str
    path: str  # "Class.method"
    operation: Operation | None  # None: a .stream() helper
    is_async: bool


def pair(module: str, cls: str, method: str, operation: Operation | None) -> tuple[Target, ...]:
    """``Cls.method`` and ``AsyncCls.method``: how the clients name their twins."""
    return (
        Target(module, f"{cls}.{method}", operation, False),
        Target(module, f"Async{cls}.{method}", operation, True),
    )
