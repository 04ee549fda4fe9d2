"""Money in IN lists: a value beyond the stored column's range (Cost is Decimal(18, 9))
neither fails the query (it was a 503: ClickHouse converted the list to the column's
type) nor hides the values that do match."""

from __future__ import annotations

from decimal import Decimal

from tests.search.conftest import call


def test_cost_in_a_list_with_a_huge_value(dataset):
    status, found = call(dataset.http_url, "POST", "/api/v1/spans/search",
                         {"filter": "span.cost > 0", "project": dataset.project,
                          "max_results": 1})  # fmt: skip
    assert status == 200 and found["spans"], found
    cost = found["spans"][0]["cost"]
    for endpoint in ("/api/v1/spans/search", "/api/v1/traces/search", "/api/v1/analytics"):
        body = {"filter": f"span.cost IN ({cost}, 9223372037)", "project": dataset.project}
        status, answer = call(dataset.http_url, "POST", endpoint, body)
        assert status == 200, (endpoint, answer)
    status, spans = call(dataset.http_url, "POST", "/api/v1/spans/search",
                         {"filter": f"span.cost IN ({cost}, 9223372037)",
                          "project": dataset.project})  # fmt: skip
    assert spans["spans"] and {Decimal(s["cost"]) for s in spans["spans"]} == {Decimal(cost)}
    status, rest = call(dataset.http_url, "POST", "/api/v1/spans/search",
                        {"filter": f"span.cost NOT IN ({cost}, 9223372037)",
                         "project": dataset.project})  # fmt: skip
    assert status == 200 and Decimal(cost) not in {Decimal(s["cost"]) for s in rest["spans"]}
