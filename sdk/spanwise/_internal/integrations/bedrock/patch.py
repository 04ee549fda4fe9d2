"""Bedrock Runtime clients: ``converse``, ``converse_stream``, ``invoke_model`` and
``invoke_model_with_response_stream`` traced per client.

botocore makes each client's class at run time, so there is no method to patch ahead:
``ClientCreator.create_client`` (public, what ``boto3.client`` calls) is wrapped, and
each ``bedrock-runtime`` client it returns gets its two methods wrapped on the instance.
Clients made before ``autolog()`` are not traced. After ``autolog(disable=True)`` the
wrapped methods pass straight through.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from ... import attributes as attrs
from ...errors import log_internal_error
from ...fastcontext import attach_span, detach
from ..llm_client import wrappers
from ..llm_client.operation import Operation
from ..llm_client.patching import Patcher
from ..llm_client.settings import Current
from ..llm_client.streams import SyncStreamProxy, wrap_stream
from ..llm_client.targets import Target
from . import converse, invoke

CURRENT = Current()

CONVERSE = Operation(
    name=attrs.GEN_AI_OPERATION_CHAT,
    span_type=attrs.SpanType.LLM,
    request=converse.request_attributes,
    inputs=converse.inputs,
    response=converse.response,
    accumulator=None,
    model_arg="modelId",
)
CONVERSE_STREAM = dataclasses.replace(CONVERSE, accumulator=converse.StreamAccumulator)
INVOKE = Operation(
    name=attrs.GEN_AI_OPERATION_CHAT,
    span_type=attrs.SpanType.LLM,
    request=invoke.request_attributes,
    inputs=invoke.inputs,
    response=invoke.response,
    accumulator=None,
    model_arg="modelId",
)
INVOKE_STREAM = dataclasses.replace(INVOKE, accumulator=invoke.StreamAccumulator)


class _NoStream:
    """``converse`` never returns a stream (`wrappers.sync_call` asks)."""


def _stream_wrapper(
    current: Current,
    provider: Callable[[Any], Mapping[str, Any]],
    op: Operation,
    key: str,
) -> Any:
    """A call whose result holds an event stream under ``key``: the span ends with it."""

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if current.options is None:
            return wrapped(*args, **kwargs)
        span = wrappers.start_span(op, instance, kwargs, current, provider)
        if span is None:
            return wrapped(*args, **kwargs)
        token = attach_span(span)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            wrappers.fail(span, exc)
            raise
        finally:
            detach(token)
        stream = result.get(key) if isinstance(result, dict) else None
        if stream is None or not span.is_recording():
            span.end()
            return result
        try:
            out: dict[str, Any] = {}
            converse.request_id(result, out)
            span.set_attributes(out)
        except Exception:
            log_internal_error("reading a Bedrock response")
        result[key] = wrap_stream(span, op.accumulator, stream, SyncStreamProxy, current)
        return result

    return wrapper


def _instrument(client: Any) -> None:
    """Wrap this client's Converse and InvokeModel methods on the instance. The methods
    hold the provider attributes, not the client (no reference cycle)."""
    found = converse.provider_attributes(client)

    def provider(_: Any) -> Mapping[str, Any]:
        return found

    for name, wrapper in (
        ("converse", wrappers.sync_call(CONVERSE, _NoStream, CURRENT, provider)),
        ("converse_stream", _stream_wrapper(CURRENT, provider, CONVERSE_STREAM, "stream")),
        ("invoke_model", wrappers.sync_call(INVOKE, _NoStream, CURRENT, provider)),
        (
            "invoke_model_with_response_stream",
            _stream_wrapper(CURRENT, provider, INVOKE_STREAM, "body"),
        ),
    ):
        original = getattr(client, name, None)
        if original is None or getattr(original, "__spanwise_wrapped__", False):
            continue
        setattr(client, name, _bound(original, wrapper))


def _bound(original: Any, wrapper: Any) -> Any:
    def method(*args: Any, **kwargs: Any) -> Any:
        return wrapper(original, None, args, kwargs)

    # Name and doc only: functools.wraps would keep the bound original as __wrapped__,
    # and the client would hold itself through its own attribute.
    method.__name__ = getattr(original, "__name__", "method")
    method.__doc__ = getattr(original, "__doc__", None)
    method.__spanwise_wrapped__ = True  # type: ignore[attr-defined]
    return method


def _create_client(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    client = wrapped(*args, **kwargs)
    try:
        service = client.meta.service_model.service_name
        if service == "bedrock-runtime" and CURRENT.options is not None:
            _instrument(client)
    except Exception:
        log_internal_error("instrumenting a Bedrock client")
    return client


PATCHER = Patcher(
    library="botocore",
    extra="bedrock",
    min_version=(1, 34),
    targets=(Target("botocore.client", "ClientCreator.create_client", None, False),),
    make_wrapper=lambda target, botocore: _create_client,
    current=CURRENT,
)
