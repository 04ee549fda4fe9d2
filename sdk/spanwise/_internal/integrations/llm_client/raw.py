"""Raw responses (``with_raw_response`` / ``with_streaming_response``): the span ends when
the caller parses the body.

The clients' raw ``APIResponse`` reads its body only on ``parse()`` — awaited for the
async client, and a stream for ``stream=True`` (the OpenAI Agents SDK streams every run
this way) — so there is nothing to record when ``create`` returns. The proxy handed out
instead records what ``parse()`` gives: a response (recorded, span ended) or a stream
(wrapped like any other, its span ending with it). A raw response dropped unparsed ends
its span without an output.
"""

from __future__ import annotations

import inspect
from typing import Any

import wrapt
from opentelemetry.trace import Span

from .operation import Operation
from .settings import Current
from .streams import settle


class RawProxy(wrapt.ObjectProxy):
    def __init__(
        self, raw: Any, span: Span, op: Operation, stream_type: type, proxy: type, current: Current
    ) -> None:
        wrapt.ObjectProxy.__init__(self, raw)
        self._self_span = span
        self._self_op = op
        self._self_stream_type = stream_type
        self._self_proxy = proxy
        self._self_current = current
        self._self_taken: Any = None
        self._self_done = False

    def _self_take(self, parsed: Any) -> Any:
        """What ``parse()`` returns to the caller: the same object every time (the
        client caches it), a stream wrapped once."""
        if self._self_done:
            return self._self_taken
        self._self_done = True
        self._self_taken = settle(
            self._self_span, self._self_op, parsed, self._self_stream_type,
            self._self_proxy, self._self_current,
        )  # fmt: skip
        return self._self_taken

    def __del__(self) -> None:
        try:
            if not self._self_done:
                self._self_done = True
                self._self_span.end()
        except AttributeError:  # __init__ never completed
            pass

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        # The async client's ``with_raw_response`` gives a response whose parse() is
        # plain, its ``with_streaming_response`` one whose parse() must be awaited.
        parsed = self.__wrapped__.parse(*args, **kwargs)
        if inspect.isawaitable(parsed):
            return self._self_later(parsed)
        return self._self_take(parsed)

    async def _self_later(self, pending: Any) -> Any:
        return self._self_take(await pending)
