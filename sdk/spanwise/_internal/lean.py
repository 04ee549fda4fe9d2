"""A lean span for Spanwise's hot paths (``@spanwise.trace``, ``start_span``, OpenAI calls).

Why: creating and ending an OTel SDK ``Span`` costs ~30 µs (sampler objects, a lock,
``BoundedAttributes`` re-validating every attribute, span metrics, a ``ReadableSpan``
copy at ``end()``), most of an instrumented OpenAI call's overhead. ``LeanSpan`` does
what that path does for Spanwise's own provider, directly:

* the same sampling (``ParentBased(TraceIdRatioBased)`` as set up by ``provider``),
  ids from the provider's id generator, trace flags and trace state as the SDK sets them;
* the same attribute rules (cleaning, count limit, drop-oldest, re-set moves last),
  with values that are already plain ``str``/``bool``/``int``/``float`` taken as is;
* the processor's ``on_start``/``on_end`` (project, start hooks, queue);
* it reads like a ``ReadableSpan`` for the exporter, and it is an OTel API ``Span``,
  so other instrumentation nests under it through the context.

Used only while the SDK path would do exactly the same: Spanwise made the provider,
its processor is the provider's only one and the span limits are the defaults
(attribute values uncut). Otherwise ``start_client_span`` returns an SDK span
(e.g. when Spanwise joined the application's own provider, whose processors must see
every span).
"""

from __future__ import annotations

import logging
import random
import traceback
from collections import deque
from collections.abc import Mapping
from time import time_ns
from typing import Any

from opentelemetry import attributes as otel_attributes
from opentelemetry import trace as trace_api
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

from . import attributes as attrs
from .errors import log_internal_error
from .fastcontext import parent_span_context
from .provider import START_HOOKS, STATE, get_tracer, keep_new_trace

__all__ = ["LeanSpan", "start_client_span", "start_lean_span"]

logger = logging.getLogger("opentelemetry.sdk.trace")  # the SDK span's own warnings

_clean_value = getattr(otel_attributes, "_clean_attribute_value", None)
_PLAIN = frozenset({str, bool, int, float, type(None), bytes})  # stored as given
_UNSET_STATUS = Status(StatusCode.UNSET)
_RANDOM = getattr(TraceFlags, "RANDOM_TRACE_ID", 0)
# trace flags by (sampled, random trace id), built once
_FLAGS = {
    (sampled, random): TraceFlags(
        (TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT) | (_RANDOM if random else 0)
    )
    for sampled in (False, True)
    for random in (False, True)
}
_TRACE_ID_LIMIT = (1 << 64) - 1
_CLIENT = SpanKind.CLIENT
_INTERNAL = SpanKind.INTERNAL
_SAMPLED = TraceFlags.SAMPLED
_PROJECT = attrs.PROJECT
_new_tuple = tuple.__new__


def _random_id_generator_type() -> type | None:
    try:
        from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
    except ImportError:
        return None
    return RandomIdGenerator


class _Pipeline:
    """What a lean span needs from the provider, read once per set-up."""

    __slots__ = (
        "bound",
        "id_generator",
        "limits",
        "only",
        "processor",
        "processors",
        "random_flag",
        "random_ids",
        "resource",
        "scope",
        "tracer",
    )

    def __init__(self, tracer: Any, processor: Any, sampler_root: Any) -> None:
        self.tracer = tracer
        self.processor = processor
        self.only = (processor,)
        self.processors = tracer.span_processor  # the provider's active multi-processor
        self.bound = sampler_root.bound
        self.id_generator = tracer.id_generator
        self.resource = tracer.resource
        self.scope = tracer._instrumentation_scope
        self.limits = tracer._span_limits
        # The SDK's default generator: its ids straight from ``random`` (what its
        # methods do), and every span context valid by construction.
        self.random_ids = type(self.id_generator) is _random_id_generator_type()
        self.random_flag = bool(_RANDOM) and self.random_ids
        if not isinstance(self.processors._span_processors, tuple):
            raise TypeError("unknown multi-processor")  # usable() could not tell

    def usable(self) -> bool:
        """The SDK path would do exactly what a lean span does (checked per span: an
        application may add a processor to Spanwise's provider at any time)."""
        return STATE.tracer is self.tracer and self.processors._span_processors == self.only


def _pipeline() -> _Pipeline | None:
    """The lean pipeline for the current set-up, or ``None`` to use the SDK span."""
    get_tracer()
    own = STATE.own
    if own is None or STATE.tracer is not own[0]:
        return None
    cached = STATE.lean
    if cached is not None and cached.tracer is own[0]:
        return cached
    if STATE.lean_tried is own[0]:
        return None
    pipeline: _Pipeline | None = None
    try:
        pipeline = _Pipeline(*own)
        limits = pipeline.limits
        if not (
            _clean_value is not None
            and limits.max_attribute_length is None
            and limits.max_span_attribute_length is None
            and limits.max_span_attributes is not None
            and limits.max_span_attributes >= 32
        ):
            pipeline = None
    except Exception:  # another SDK version: its own spans then
        pipeline = None
    STATE.lean, STATE.lean_tried = pipeline, own[0]
    return pipeline


# What makes a span what it is (its type, inputs and outputs; a model call's model and
# tokens, which price it): kept when a span has more attributes than the limit.
_KEPT = ("spanwise.", "gen_ai.")


def _evict(attributes: dict[str, Any]) -> None:
    """Drop one attribute of a full span: the oldest, as OTel does, but the oldest of the
    application's own first — OTel's rule dropped the span type, set first, from a span
    given ~130 attributes (a TOOL read UNKNOWN, an LLM call went unpriced)."""
    victim = next((k for k in attributes if not k.startswith(_KEPT)), None)
    del attributes[next(iter(attributes)) if victim is None else victim]


def start_client_span(name: str, attributes: dict[str, Any]) -> trace_api.Span:
    """A CLIENT span (a model call); see `start_lean_span`."""
    return start_lean_span(name, attributes, _CLIENT)


def start_lean_span(
    name: str, attributes: dict[str, Any], kind: SpanKind = _INTERNAL
) -> trace_api.Span:
    """A span under the current context with ``attributes`` (a fresh dict the span
    may keep). Lean when possible, else the SDK's."""
    pipeline = STATE.lean
    if (
        pipeline is None
        or STATE.tracer is not pipeline.tracer
        or pipeline.processors._span_processors != pipeline.only
    ):  # not pipeline.usable(), inline
        pipeline = _pipeline()
        if pipeline is None or not pipeline.usable():
            return get_tracer().start_span(name, kind=kind, attributes=attributes)
    parent = parent_span_context()
    ids = pipeline.id_generator
    random_ids = pipeline.random_ids  # the SDK's generator: its own loops, inline
    if parent is not None:
        trace_id = parent.trace_id
        parent_flags = parent.trace_flags
        flags = _FLAGS[parent_flags.sampled, bool(parent_flags & _RANDOM)]
        state = parent.trace_state
        parent_ctx: SpanContext | None = parent
    else:
        if random_ids:
            trace_id = random.getrandbits(128)
            while not trace_id:
                trace_id = random.getrandbits(128)
            random_flag = pipeline.random_flag
        else:
            trace_id = ids.generate_trace_id()
            random_flag = bool(_RANDOM) and ids.is_trace_id_random()
        keep = (trace_id & _TRACE_ID_LIMIT) < pipeline.bound or keep_new_trace(trace_id)
        flags = _FLAGS[keep, random_flag]
        state = DEFAULT_TRACE_STATE
        parent_ctx = None
    if random_ids:
        span_id = random.getrandbits(64)  # after the trace id, as the SDK draws them
        while not span_id:
            span_id = random.getrandbits(64)
        # Valid by construction: SpanContext's checks (a Python ``__new__``) skipped.
        context = _new_tuple(SpanContext, (trace_id, span_id, False, flags, state, True))
    else:
        context = SpanContext(
            trace_id, ids.generate_span_id(), is_remote=False, trace_flags=flags, trace_state=state
        )
    if not flags & _SAMPLED:
        return trace_api.NonRecordingSpan(context)
    span = LeanSpan(name, context, parent_ctx, attributes, pipeline, kind)
    # SpanwiseSpanProcessor.on_start (usable() checked that it is the only processor),
    # inline: the project as ``set_attribute`` would put it, then the start hooks.
    try:
        project = pipeline.processor.project
        if project:
            if project.__class__ is str:
                span._put(_PROJECT, project)
            else:
                span.set_attribute(_PROJECT, project)
        for hook in START_HOOKS:
            hook(span)
    except Exception:
        log_internal_error("starting a span (start hook)")
    return span


def _clean_one(value: Any) -> Any:
    """One value as ``BoundedAttributes`` stores it (sequences become tuples); plain
    values and lists/tuples of them without the SDK's generic walk."""
    cls = value.__class__
    if cls in _PLAIN:
        return value
    if (cls is tuple or cls is list) and all(v.__class__ in _PLAIN for v in value):
        return tuple(value)
    return _clean_value(value, None)  # type: ignore[misc]


def _cleaned(attributes: Mapping[str, Any]) -> Mapping[str, Any]:
    """``attributes`` as ``BoundedAttributes`` stores them: the mapping itself when every
    key is a non-empty ``str`` and every value plain or a tuple of plain values (our
    own attributes), else a copy
    with keys and values cleaned by the SDK's rules."""
    for key, value in attributes.items():
        if key.__class__ is not str or not key:
            break
        cls = value.__class__
        if cls not in _PLAIN and (cls is not tuple or not _PLAIN.issuperset(map(type, value))):
            break  # tuples of plain values are kept as they are: what _clean_one makes
    else:
        return attributes
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if key.__class__ is str and key:
            out[key] = value if value.__class__ in _PLAIN else _clean_one(value)
        else:  # the SDK's cleaning of a one-item mapping: its key checks, then the value
            out.update(_clean_value({key: value}, None))  # type: ignore[misc]
    return out


class LeanSpan(trace_api.Span):
    """A recording span of Spanwise's provider; see the module docstring."""

    __slots__ = (
        "_attributes",
        "_events",
        "_links",
        "_pipeline",
        "context",
        "dropped_attributes",
        "dropped_events",
        "dropped_links",
        "end_time",
        "kind",
        "name",
        "parent",
        "start_time",
        "status",
    )

    def __init__(
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        attributes: dict[str, Any],
        pipeline: _Pipeline,
        kind: SpanKind = _CLIENT,
    ) -> None:
        self.name = name
        self.kind = kind
        self.context = context
        self.parent = parent
        self._pipeline = pipeline
        cleaned = _cleaned(attributes)
        self._attributes = cleaned if cleaned is attributes else dict(cleaned)
        self._events: Any = ()  # a bounded deque once there is one
        self._links: Any = ()
        self.status = _UNSET_STATUS
        self.dropped_attributes = len(attributes) - len(self._attributes)
        self.dropped_events = self.dropped_links = 0
        self.end_time: int | None = None
        self.start_time = time_ns()
        limit = pipeline.limits.max_span_attributes
        while len(self._attributes) > limit:
            _evict(self._attributes)
            self.dropped_attributes += 1

    # -- ReadableSpan, for the exporter ----------------------------------------------
    @property
    def attributes(self) -> Mapping[str, Any]:
        return self._attributes

    @property
    def events(self) -> tuple[Any, ...]:
        return tuple(self._events)

    @property
    def links(self) -> tuple[Any, ...]:
        return tuple(self._links)

    @property
    def resource(self) -> Any:
        return self._pipeline.resource

    @property
    def instrumentation_scope(self) -> Any:
        return self._pipeline.scope

    # -- the OTel API Span ---------------------------------------------------------------
    def get_span_context(self) -> SpanContext:
        return self.context

    def is_recording(self) -> bool:
        return self.end_time is None

    def _ended(self) -> bool:
        if self.end_time is not None:
            logger.warning("Setting attribute on ended span.")
            return True
        return False

    def _put(self, key: str, value: Any) -> None:
        attributes = self._attributes
        if key in attributes:
            del attributes[key]  # as BoundedAttributes: a re-set key moves last
        else:
            if len(attributes) >= self._pipeline.limits.max_span_attributes:
                _evict(attributes)
                self.dropped_attributes += 1
        attributes[key] = value

    def set_attribute(self, key: str, value: Any) -> None:
        if self._ended():
            return
        if not key or not isinstance(key, str):
            logger.warning("invalid key `%s`. must be non-empty string. Dropping key.", key)
            self.dropped_attributes += 1
            return
        self._put(key, _clean_one(value))

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        if self.end_time is not None:  # self._ended(), inline
            logger.warning("Setting attribute on ended span.")
            return
        cleaned = _cleaned(attributes)
        self.dropped_attributes += len(attributes) - len(cleaned)
        mine = self._attributes
        if len(mine) + len(
            cleaned
        ) <= self._pipeline.limits.max_span_attributes and mine.keys().isdisjoint(cleaned):
            mine.update(cleaned)  # all new keys, room for them: what _put would do
            return
        for key, value in cleaned.items():
            self._put(key, value)

    def add_event(self, name: str, attributes: Any = None, timestamp: int | None = None) -> None:
        from opentelemetry.attributes import BoundedAttributes
        from opentelemetry.sdk.trace import Event

        if self.end_time is not None:
            logger.warning("Calling add_event() on an ended span.")
            return
        limits = self._pipeline.limits
        bounded = BoundedAttributes(
            limits.max_event_attributes, attributes, max_value_len=None, immutable=True
        )
        event = Event(name=name, attributes=bounded, timestamp=timestamp or time_ns())
        self._events = self._bounded_append(self._events, limits.max_events, event, "events")

    def add_link(self, context: SpanContext, attributes: Any = None) -> None:
        from opentelemetry.attributes import BoundedAttributes

        if self.end_time is not None:
            logger.warning("Calling add_link() on an ended span.")
            return
        if context is None or (not context.is_valid and not attributes):
            return
        limits = self._pipeline.limits
        bounded = BoundedAttributes(
            limits.max_link_attributes, attributes, max_value_len=None, immutable=True
        )
        link = trace_api.Link(context=context, attributes=bounded)
        self._links = self._bounded_append(self._links, limits.max_links, link, "links")

    def _bounded_append(self, items: Any, maxlen: int | None, item: Any, what: str) -> Any:
        """As the SDK's ``BoundedList``: past ``maxlen`` the oldest item goes (counted)."""
        if not isinstance(items, deque):
            items = deque(items, maxlen=maxlen)
        if maxlen is not None and len(items) >= maxlen:
            if what == "events":
                self.dropped_events += 1
            else:
                self.dropped_links += 1
        items.append(item)
        return items

    def update_name(self, name: str) -> None:
        if self.end_time is None:
            self.name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self.end_time is not None:
            logger.warning("Calling set_status() on an ended span.")
            return
        current_ok = self.status.status_code is StatusCode.OK
        if isinstance(status, Status):
            if current_ok or status.status_code is StatusCode.UNSET:
                return
            if description is not None:
                logger.warning(
                    "Description %s ignored. Use either `Status` or `(StatusCode, Description)`",
                    description,
                )
            self.status = status
        elif isinstance(status, StatusCode):
            if current_ok or status is StatusCode.UNSET:
                return
            self.status = Status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: Any = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        module = type(exception).__module__
        qualname = type(exception).__qualname__
        values: dict[str, Any] = {
            "exception.type": f"{module}.{qualname}"
            if module and module != "builtins"
            else qualname,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(
                traceback.format_exception(type(exception), exception, exception.__traceback__)
            ),
            "exception.escaped": str(escaped),
        }
        if attributes:
            values.update(attributes)
        self.add_event("exception", values, timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self.end_time is not None:
            logger.warning("Calling end() on an ended span.")
            return
        self.end_time = end_time if end_time is not None else time_ns()
        self._pipeline.processor.on_end(self)

    def __repr__(self) -> str:
        return f'LeanSpan(name="{self.name}", context={self.context})'
