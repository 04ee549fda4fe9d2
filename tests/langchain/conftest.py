"""LangChain fixtures: autolog on for the test, real langchain-core fake models."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest

pytest.importorskip("langchain_core")


@pytest.fixture
def autolog(sdk):
    import spanwise.langchain

    spanwise.langchain.autolog()
    yield spanwise.langchain
    spanwise.langchain.autolog(disable=True)


def shape(trace, span_id=None):
    """The trace as nested ``(name, span_type, [children])`` ordered by start time."""
    data = trace.data
    nodes = [data.root] if span_id is None else data.children(span_id)
    return [
        (s.name, s.span_type, shape(trace, s.span_id))
        for s in sorted(nodes, key=lambda s: (s.start_time_ns, s.name))
    ]


def named(trace, name):
    matches = [s for s in trace.data.spans if s.name == name]
    assert matches, f"no span named {name!r} in {[s.name for s in trace.data.spans]}"
    return matches


@contextlib.contextmanager
def redact_refusing(monkeypatch, word: str):
    """A redact hook that raises on any value holding ``word`` (an app's bug), for the
    block; Spanwise's internal errors are logged, not re-raised, as in production."""
    from spanwise._internal import provider

    def redact(value):
        if word in str(value):
            raise RuntimeError("redactor refuses")
        return value

    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    before = provider.STATE.settings
    provider.reconfigure(dataclasses.replace(before, redact=redact))
    try:
        yield
    finally:
        provider.reconfigure(before)
