"""Spanwise collector: OTLP receivers, pricing, ClickHouse storage and the query API."""

__version__ = "0.1.0"
