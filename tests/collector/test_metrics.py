"""``GET /metrics``: the collector's own counters and gauges in Prometheus' format, as a
scraper reads them after real traffic (accepted, stored, refused by reason)."""

from __future__ import annotations

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.support.collector import CollectorProcess


def _scrape(url: str) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(url + "/metrics", timeout=30) as resp:
        assert resp.headers["content-type"].startswith("text/plain")
        text = resp.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _post(url: str, body: bytes, kind: str) -> int:
    req = urllib.request.Request(url + "/v1/traces", data=body, headers={"Content-Type": kind})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_metrics_count_what_came_in_and_what_was_stored(tmp_path):
    import spanwise

    collector = CollectorProcess(tmp_path / "store")
    collector.start()
    try:
        before = _scrape(collector.http_url)
        assert before[("spanwise_collector_spans_accepted_total", ())] == 0
        assert before[("spanwise_collector_store_up", ())] == 1
        spanwise.configure(endpoint=collector.grpc_endpoint, project="metrics")
        for n in range(5):
            with spanwise.start_span(f"s{n}"):
                pass
        assert spanwise.flush(30)
        assert _post(collector.http_url, b"not protobuf", "application/x-protobuf") == 400
        assert _post(collector.http_url, b"{]", "application/json") == 400
        spanwise.Client(collector.http_url).search_traces()  # waits for the store

        after = _scrape(collector.http_url)
        assert after[("spanwise_collector_spans_accepted_total", ())] == 5
        assert after[("spanwise_collector_spans_stored_total", ())] == 5
        assert after[("spanwise_collector_requests_accepted_total", ())] >= 1
        assert after[("spanwise_collector_inserts_total", ())] >= 1
        refused = ("spanwise_collector_requests_refused_total", (("reason", "invalid"),))
        assert after[refused] == 2
        assert after[("spanwise_collector_unwritten_batches", ())] == 0
        assert after[("spanwise_collector_inflight_bytes", ())] == 0
        version = [k for k in after if k[0] == "spanwise_collector_build_info"]
        assert version and dict(version[0][1])["version"]
    finally:
        collector.stop()
