"""``@spanwise.trace``: spans around sync, async, generator and async-generator functions.

The argument binding plan is computed once at decoration time so the per-call
work is a dict build, one JSON encode per side and the span itself.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api

from . import attributes as attrs
from .errors import log_internal_error
from .lean import start_lean_span
from .provider import STATE
from .spans import capture, record_error, span_attributes

F = TypeVar("F", bound=Callable[..., Any])

_set_span_in_context = trace_api.set_span_in_context
_attach = context_api.attach
_detach = context_api.detach


class _InputBinder:
    """Maps call arguments to ``{param: value}``, leaving out ``self``/``cls``."""

    __slots__ = ("_defaults", "_names", "_sig", "_simple", "_skip_first")

    def __init__(self, func: Callable[..., Any]) -> None:
        try:
            sig = inspect.signature(func)
        except (TypeError, ValueError):
            sig = None
        self._sig = sig
        params = list(sig.parameters.values()) if sig else []
        self._skip_first = bool(params) and params[0].name in ("self", "cls")
        kinds = {p.kind for p in params}
        self._simple = sig is not None and not kinds & {
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
            inspect.Parameter.POSITIONAL_ONLY,
        }
        self._names = tuple(p.name for p in params)
        self._defaults = {
            p.name: p.default
            for p in params
            if p.default is not inspect.Parameter.empty
            and not (self._skip_first and p.name == params[0].name)
        }

    def bind(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        if self._simple:
            out = dict(self._defaults)
            names = self._names
            if self._skip_first:
                out.update(zip(names[1:], args[1:]))
            else:
                out.update(zip(names, args))
            out.update(kwargs)
            return out
        if self._sig is None:
            return {"args": list(args), **kwargs}
        try:
            bound = self._sig.bind_partial(*args, **kwargs)
        except TypeError:  # the caller's mistake: the function raises it; record the call
            return {"args": list(args[1:] if self._skip_first else args), **kwargs}
        bound.apply_defaults()
        out = dict(bound.arguments)
        if self._skip_first and self._names:
            out.pop(self._names[0], None)
        return out


def _qualname(func: Any) -> str:
    """The name a call's span gets: the function's, the one a partial calls, or a
    callable object's class (their reprs hold a memory address: a new name per process)."""
    while isinstance(func, functools.partial):
        func = func.func
    qualname = getattr(func, "__qualname__", None)
    return qualname if isinstance(qualname, str) else type(func).__qualname__


def _kind_probe(func: Any) -> Any:
    """What tells whether calls are async or generators: a callable object's ``__call__``
    (``inspect`` looks at functions only, so an async one got a sync wrapper)."""
    if (
        inspect.isroutine(func)
        or isinstance(func, (functools.partial, type))
        or inspect.iscoroutinefunction(func)  # e.g. an AsyncMock, marked as one
    ):
        return func
    return type(func).__call__ if callable(func) else func


class _Spec:
    """Everything the wrapper needs, fixed at decoration time."""

    __slots__ = ("attributes", "binder", "capture_inputs", "capture_outputs", "name", "reducer")

    def __init__(
        self,
        func: Callable[..., Any],
        name: str | None,
        span_type: str | None,
        attributes: Mapping[str, Any] | None,
        capture_inputs: bool,
        capture_outputs: bool,
        output_reducer: Callable[[list[Any]], Any] | None,
    ) -> None:
        qualname = _qualname(func)
        self.name = name or qualname
        self.attributes = span_attributes(span_type, attributes, {attrs.FUNCTION: qualname})
        self.binder = _InputBinder(func)
        self.capture_inputs = capture_inputs
        self.capture_outputs = capture_outputs
        self.reducer = output_reducer

    def start(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> trace_api.Span | None:
        try:
            # A copy: the span may keep (and add to) the dict it is given.
            span = start_lean_span(self.name, dict(self.attributes))
        except Exception:
            log_internal_error("starting a traced call")
            return None
        # A failing capture (e.g. the redact hook raised) loses the inputs, not the span.
        try:
            if self.capture_inputs and STATE.settings.capture_inputs and span.is_recording():
                span.set_attribute(attrs.INPUTS, capture(self.binder.bind(args, kwargs)))
        except Exception:
            log_internal_error("recording the inputs of a traced call")
        return span

    def finish(self, span: trace_api.Span, output: Any) -> None:
        try:
            if self.capture_outputs and STATE.settings.capture_outputs and span.is_recording():
                span.set_attribute(attrs.OUTPUTS, capture(output))
        except Exception:
            log_internal_error("recording the output of a traced call")
        finally:
            try:
                span.end()
            except Exception:
                log_internal_error("ending a traced call")

    def fail(self, span: trace_api.Span, exc: BaseException) -> None:
        record_error(span, exc)
        try:
            span.end()
        except Exception:
            log_internal_error("ending a failed traced call")

    def reduce(self, items: list[Any]) -> Any:
        if self.reducer is None:
            return items
        try:
            return self.reducer(items)
        except Exception:
            log_internal_error("reducing generator outputs")
            return items


def _wrap_function(func: Callable[..., Any], spec: _Spec) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = spec.start(args, kwargs)
        if span is None:
            return func(*args, **kwargs)
        token = _attach(_set_span_in_context(span))
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            spec.fail(span, exc)
            raise
        finally:
            _detach(token)
        spec.finish(span, result)
        return result

    return wrapper


def _wrap_coroutine(func: Callable[..., Any], spec: _Spec) -> Callable[..., Any]:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = spec.start(args, kwargs)
        if span is None:
            return await func(*args, **kwargs)
        token = _attach(_set_span_in_context(span))
        try:
            result = await func(*args, **kwargs)
        except BaseException as exc:
            spec.fail(span, exc)
            raise
        finally:
            _detach(token)
        spec.finish(span, result)
        return result

    return wrapper


def _wrap_generator(func: Callable[..., Any], spec: _Spec) -> Callable[..., Any]:
    """The span covers the whole iteration, but is current only while the generator runs."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = spec.start(args, kwargs)
        if span is None:
            return (yield from func(*args, **kwargs))
        span_ctx = _set_span_in_context(span)
        items: list[Any] = []
        # Outputs not recorded: keep no items (a long stream held all of them to the end).
        collect = spec.capture_outputs and STATE.settings.capture_outputs
        gen = func(*args, **kwargs)  # runs none of the body: no context needed yet
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            token = _attach(span_ctx)
            try:
                item = gen.throw(to_throw) if to_throw is not None else gen.send(to_send)
            except StopIteration as stop:
                spec.finish(span, spec.reduce(items) if collect else None)
                return stop.value
            except BaseException as exc:
                spec.fail(span, exc)
                raise
            finally:
                _detach(token)
            if collect:
                items.append(item)
            to_send, to_throw = None, None
            try:
                to_send = yield item
            except GeneratorExit:
                # Closed early by the consumer: its cleanup runs in the span (spans it
                # starts nest there), which ends with what was produced, or the cleanup's error.
                token = _attach(span_ctx)
                try:
                    gen.close()
                except BaseException as exc:
                    spec.fail(span, exc)
                    raise
                finally:
                    _detach(token)
                spec.finish(span, spec.reduce(items) if collect else None)
                raise
            except BaseException as exc:
                to_throw = exc

    return wrapper


def _wrap_async_generator(func: Callable[..., Any], spec: _Spec) -> Callable[..., Any]:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = spec.start(args, kwargs)
        if span is None:
            async for item in func(*args, **kwargs):
                yield item
            return
        span_ctx = _set_span_in_context(span)
        items: list[Any] = []
        # Outputs not recorded: keep no items (a long stream held all of them to the end).
        collect = spec.capture_outputs and STATE.settings.capture_outputs
        agen = func(*args, **kwargs)
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            token = _attach(span_ctx)
            try:
                if to_throw is not None:
                    item = await agen.athrow(to_throw)
                else:
                    item = await agen.asend(to_send)
            except StopAsyncIteration:
                spec.finish(span, spec.reduce(items) if collect else None)
                return
            except BaseException as exc:
                spec.fail(span, exc)
                raise
            finally:
                _detach(token)
            if collect:
                items.append(item)
            to_send, to_throw = None, None
            try:
                to_send = yield item
            except GeneratorExit:
                token = _attach(span_ctx)  # as in _wrap_generator
                try:
                    await agen.aclose()
                except BaseException as exc:
                    spec.fail(span, exc)
                    raise
                finally:
                    _detach(token)
                spec.finish(span, spec.reduce(items) if collect else None)
                raise
            except BaseException as exc:
                to_throw = exc

    return wrapper


def _decorate(func: Any, spec_args: dict[str, Any]) -> Any:
    # Decorators stacked above @classmethod/@staticmethod receive the descriptor.
    if isinstance(func, (classmethod, staticmethod)):
        return type(func)(_decorate(func.__func__, spec_args))
    spec = _Spec(func, **spec_args)
    probe = _kind_probe(func)
    if inspect.isasyncgenfunction(probe):
        wrapper = _wrap_async_generator(func, spec)
    elif inspect.isgeneratorfunction(probe):
        wrapper = _wrap_generator(func, spec)
    elif inspect.iscoroutinefunction(probe):
        wrapper = _wrap_coroutine(func, spec)
    else:
        wrapper = _wrap_function(func, spec)
    wrapper.__spanwise_traced__ = True  # evaluate() lets such a function's span be the trace
    return wrapper


@overload
def trace(func: F) -> F: ...


@overload
def trace(
    func: None = None,
    *,
    name: str | None = None,
    span_type: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    capture_inputs: bool = True,
    capture_outputs: bool = True,
    output_reducer: Callable[[list[Any]], Any] | None = None,
) -> Callable[[F], F]: ...


def trace(
    func: Any = None,
    *,
    name: str | None = None,
    span_type: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    capture_inputs: bool = True,
    capture_outputs: bool = True,
    output_reducer: Callable[[list[Any]], Any] | None = None,
) -> Any:
    """Trace a function: one span per call with its inputs, output, errors and latency.

    Works with and without arguments, on plain, async, generator and async-generator
    functions and on methods (``self``/``cls`` are left out of the inputs). Generator
    outputs are the yielded items as a list, or ``output_reducer(items)``.
    """
    if name is not None and not isinstance(name, str):
        raise TypeError(f"trace(name=...) takes a str, got {type(name).__name__}")
    if func is not None and not callable(func) and not isinstance(func, classmethod):
        hint = (
            f"; to name the span: @spanwise.trace(name={func!r})" if isinstance(func, str) else ""
        )
        raise TypeError(f"trace() decorates a function, got {type(func).__name__}{hint}")
    if attributes is not None and not isinstance(attributes, Mapping):
        raise TypeError(f"trace(attributes=...) takes a mapping, got {type(attributes).__name__}")
    if output_reducer is not None and not callable(output_reducer):
        # Else it failed at the end of every call, as a Spanwise internal error.
        raise TypeError(f"output_reducer must be callable, got {type(output_reducer).__name__}")
    spec_args = {
        "name": name,
        "span_type": span_type,
        "attributes": attributes,
        "capture_inputs": capture_inputs,
        "capture_outputs": capture_outputs,
        "output_reducer": output_reducer,
    }
    if func is None:
        return lambda f: _decorate(f, spec_args)
    return _decorate(func, spec_args)
