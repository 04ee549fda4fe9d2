"""Module-scoped SDK setup for the run tests that log once and query many times."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def module_sdk(collector):
    """Like the ``sdk`` fixture, for module-scoped fixtures (``sdk`` is per test)."""
    import spanwise

    spanwise.configure(endpoint=collector.grpc_endpoint, project="tests")
    os.environ["SPANWISE_API_URL"] = collector.http_url
    return spanwise
