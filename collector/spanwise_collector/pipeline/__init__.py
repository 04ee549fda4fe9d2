"""Ingest pipeline: OTLP request → normalised columnar batch → (priced) → store."""
