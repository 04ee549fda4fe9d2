"""No exception from Spanwise reaches user code: failures inside hooks, the
exporter or misuse of a span handle are logged, and the user's call goes on.
Run with SPANWISE_RAISE_INTERNAL_ERRORS unset, as in production."""

from __future__ import annotations

import asyncio
import logging

import pytest
import spanwise
from spanwise._internal import provider


@pytest.fixture
def production(monkeypatch, sdk):
    monkeypatch.delenv("SPANWISE_RAISE_INTERNAL_ERRORS", raising=False)
    yield
    spanwise.configure(redact=lambda v: v)


def test_redact_hook_that_raises_never_leaks_value_or_exception(production, fetch_trace, caplog):
    def broken_redact(value):
        raise RuntimeError("redactor bug")

    seen = {}

    @spanwise.trace
    def login(password: str) -> str:
        seen["trace_id"] = spanwise.get_current_trace_id()
        return "token"

    spanwise.configure(redact=broken_redact)
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        assert login("hunter2") == "token"
    spanwise.configure(redact=lambda v: v)
    (span,) = fetch_trace(seen["trace_id"]).data.spans  # the span is kept …
    assert span.inputs is None and span.outputs is None  # … without unredacted values
    assert "redactor bug" in caplog.text


def test_start_hook_that_raises_does_not_break_calls(production, fetch_trace, monkeypatch):
    def broken_hook(span):
        raise ValueError("hook bug")

    monkeypatch.setattr(provider, "START_HOOKS", [broken_hook])
    seen = {}

    @spanwise.trace
    async def agent() -> int:
        seen["trace_id"] = spanwise.get_current_trace_id()
        with spanwise.start_span("inner") as span:
            span.set_status(None)  # misuse of the handle: logged, not raised
            span.set_attribute("weird", object())
        return 7

    assert asyncio.run(agent()) == 7
    names = {s.name for s in fetch_trace(seen["trace_id"]).data.spans}
    assert names == {"inner", "test_start_hook_that_raises_does_not_break_calls.<locals>.agent"}


def test_exporter_that_raises_is_counted_not_raised(production, monkeypatch):
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    def explode(self, spans):
        raise MemoryError("exporter bug")

    monkeypatch.setattr(OTLPSpanExporter, "export", explode)
    before = spanwise.stats()

    @spanwise.trace
    def work() -> str:
        return "done"

    assert [work() for _ in range(3)] == ["done"] * 3
    assert spanwise.flush(5) is True  # processed (as failures), nothing hangs
    assert spanwise.stats().failed - before.failed == 3
