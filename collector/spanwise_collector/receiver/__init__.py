"""OTLP receivers: gRPC (TraceService/Export) and HTTP (/v1/traces)."""
