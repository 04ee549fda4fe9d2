"""Exceptions Spanwise raises into user code on purpose (bad arguments, API errors)."""

from __future__ import annotations

__all__ = ["InvalidParameterError", "SpanwiseError"]


class SpanwiseError(Exception):
    """Base class of the errors Spanwise raises to the caller (like MLflow's MlflowException)."""


class InvalidParameterError(SpanwiseError, ValueError):
    """An argument Spanwise cannot accept, e.g. a param logged again with a different value."""
