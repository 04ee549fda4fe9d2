"""Errors of the read side that map to HTTP 4xx."""

from __future__ import annotations


class QueryError(ValueError):
    """The request is invalid (HTTP 400); the message says what to change."""


class NotFound(LookupError):
    """The requested object does not exist (HTTP 404)."""


class Conflict(Exception):
    """The object exists already (HTTP 409)."""
