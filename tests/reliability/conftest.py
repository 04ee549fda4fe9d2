"""Fixtures of the reliability suite."""

from __future__ import annotations

import pytest


@pytest.fixture
def export_to(sdk, collector):
    """Point the in-process SDK at another endpoint for one test, then back."""
    import spanwise

    def configure(endpoint: str, **advanced):
        spanwise.flush(10)
        spanwise.configure(endpoint=endpoint, **advanced)

    yield configure
    spanwise.configure(endpoint=collector.grpc_endpoint, export_timeout_ms=10_000,
                       schedule_delay_ms=500)  # fmt: skip
