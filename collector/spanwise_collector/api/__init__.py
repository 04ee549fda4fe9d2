"""HTTP side of the collector: OTLP/HTTP ingest and the query API (/api/v1)."""

from .app import create_app

__all__ = ["create_app"]
