"""OTLP protobuf values from plain Python values, for tests and benchmark workloads."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.common.v1 import common_pb2


def any_value(value: Any) -> common_pb2.AnyValue:
    """bool, int, float as themselves; anything else as its string."""
    if isinstance(value, bool):
        return common_pb2.AnyValue(bool_value=value)
    if isinstance(value, int):
        return common_pb2.AnyValue(int_value=value)
    if isinstance(value, float):
        return common_pb2.AnyValue(double_value=value)
    return common_pb2.AnyValue(string_value=str(value))


def key_value(key: str, value: Any) -> common_pb2.KeyValue:
    return common_pb2.KeyValue(key=key, value=any_value(value))
