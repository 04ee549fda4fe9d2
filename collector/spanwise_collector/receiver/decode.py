"""OTLP protobuf bytes → ``ExportTraceServiceRequest``, tolerant of bad UTF-8.

protobuf rejects a whole message when one ``string`` field holds invalid UTF-8,
which SDKs in languages with byte strings (Go, C++) do send. ``string`` and
``bytes`` share a wire type, so on that failure we parse again with a copy of
the OTLP schema whose strings are bytes, and decode each one with U+FFFD
replacement. Valid requests never take the slow path.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from ..pipeline.convert import InvalidSpans

_PREFIX = "spanwise_lenient"
_REQUEST = "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"
_LENIENT: Any = None


def _lenient_class() -> Any:
    global _LENIENT
    if _LENIENT is not None:
        return _LENIENT
    strict = trace_service_pb2.DESCRIPTOR
    files: list[Any] = []

    def collect(fd: Any) -> None:
        for dep in fd.dependencies:
            collect(dep)
        if fd not in files:
            files.append(fd)

    collect(strict)
    pool = descriptor_pool.DescriptorPool()
    for fd in files:
        proto = descriptor_pb2.FileDescriptorProto()
        fd.CopyToProto(proto)
        proto.name = f"{_PREFIX}/{proto.name}"
        proto.package = f"{_PREFIX}.{proto.package}"
        deps = [f"{_PREFIX}/{d}" for d in proto.dependency]
        del proto.dependency[:]
        proto.dependency.extend(deps)
        del proto.service[:]
        proto.options.Clear()
        for message in proto.message_type:
            _rewrite(message)
        pool.Add(proto)
    _LENIENT = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PREFIX}.{_REQUEST}"))
    return _LENIENT


def _rewrite(message: Any) -> None:
    for field in message.field:
        if field.type == FieldDescriptor.TYPE_STRING:
            field.type = FieldDescriptor.TYPE_BYTES
        if field.type_name.startswith("."):
            field.type_name = f".{_PREFIX}{field.type_name}"
    for nested in message.nested_type:
        _rewrite(nested)


def _is_repeated(field: Any) -> bool:
    flag = getattr(field, "is_repeated", None)  # protobuf >= 6; ``label`` before
    return bool(flag) if flag is not None else field.label == FieldDescriptor.LABEL_REPEATED


def _copy(src: Any, dst: Any) -> None:
    fields = dst.DESCRIPTOR.fields_by_name
    for field, value in src.ListFields():
        target = fields[field.name]
        repeated = _is_repeated(field)
        if target.type == FieldDescriptor.TYPE_STRING:
            if repeated:
                getattr(dst, field.name).extend(v.decode("utf-8", "replace") for v in value)
            else:
                setattr(dst, field.name, value.decode("utf-8", "replace"))
        elif target.type == FieldDescriptor.TYPE_MESSAGE:
            if repeated:
                out = getattr(dst, field.name)
                for item in value:
                    _copy(item, out.add())
            else:
                sub = getattr(dst, field.name)
                sub.SetInParent()
                _copy(value, sub)
        elif repeated:
            getattr(dst, field.name).extend(value)
        else:
            setattr(dst, field.name, value)


def parse_request(data: bytes) -> Any:
    """Parse OTLP protobuf; invalid UTF-8 becomes U+FFFD; garbage raises ``InvalidSpans``."""
    request = trace_service_pb2.ExportTraceServiceRequest()
    try:
        request.ParseFromString(data)
        return request
    except (DecodeError, RecursionError) as exc:
        strict_error = exc
    lenient = _lenient_class()()
    try:
        lenient.ParseFromString(data)
    except (DecodeError, RecursionError):
        raise InvalidSpans(f"invalid protobuf: {strict_error}") from None
    request = trace_service_pb2.ExportTraceServiceRequest()
    _copy(lenient, request)
    return request
