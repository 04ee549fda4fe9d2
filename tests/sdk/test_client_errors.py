"""``spanwise.Client`` raises ``SpanwiseAPIError`` for every transport failure, so a
caller's ``except SpanwiseAPIError`` is enough."""

from __future__ import annotations

import pytest
import spanwise

from tests.reliability._blackhole import Blackhole


def test_a_stalled_collector_is_an_api_error_not_a_raw_timeout():
    hole = Blackhole()
    try:
        client = spanwise.Client(hole.endpoint, timeout=0.5)
        with pytest.raises(spanwise.SpanwiseAPIError, match="no answer"):  # was TimeoutError
            client.get_trace("a" * 32)
    finally:
        hole.close()


def test_the_grpc_port_given_for_the_http_one_is_named(collector):
    client = spanwise.Client(collector.grpc_endpoint, timeout=10)
    with pytest.raises(spanwise.SpanwiseAPIError, match="4318") as err:  # was BadStatusLine
        client.search_traces()
    assert err.value.status == 0
