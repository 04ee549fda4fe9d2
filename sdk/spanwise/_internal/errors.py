"""Internal failures are logged, never raised into user code.

Under the test suite (``SPANWISE_RAISE_INTERNAL_ERRORS=1``) they are re-raised so
that a broken code path cannot hide behind a log line.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("spanwise")


def _raise_in_tests() -> bool:
    return os.environ.get("SPANWISE_RAISE_INTERNAL_ERRORS", "") in ("1", "true")


def log_internal_error(what: str) -> None:
    """Call from an ``except`` block in Spanwise code: log with traceback, or re-raise in tests."""
    if _raise_in_tests():
        raise
    logger.warning("spanwise: internal error while %s (ignored)", what, exc_info=True)
