"""Random filters, orders and tokens through the HTTP API: 200 or 4xx, never a server
error; and schemathesis over the collector's OpenAPI document."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.search.conftest import call

FIELDS = ["trace.id", "trace.name", "trace.status", "trace.timestamp", "trace.duration_ms",
          "trace.cost", "trace.input_tokens", "trace.session_id", "tags.env", "metadata.v",
          "span.name", "span.type", "span.status", "span.model", "span.cost",
          "span.duration_ms", "span.attributes.`a.b`", "trace.text", "trace.user_id"]  # fmt: skip
OPS = ["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "NOT LIKE", "IN", "NOT IN", "IS NULL"]
VALUES = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=12).map(lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"),
    st.sampled_from(["'ERROR'", "'ok'", "'LLM'", "'2026-01-01'", "'%'", "'\\\\'", "1e400"]),
)


@st.composite
def predicates(draw) -> str:
    field, op = draw(st.sampled_from(FIELDS)), draw(st.sampled_from(OPS))
    if op == "IS NULL":
        return f"{field} IS {'NOT ' if draw(st.booleans()) else ''}NULL"
    if op.endswith("IN"):
        return f"{field} {op} ({', '.join(draw(st.lists(VALUES, min_size=1, max_size=3)))})"
    return f"{field} {op} {draw(VALUES)}"


FILTERS = st.recursive(
    predicates(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(" ".join),
        inner.map(lambda f: f"NOT ({f})"),
        inner.map(lambda f: f"({f})"),
    ),
    max_leaves=5,
)
ENDPOINTS = ["/api/v1/traces/search", "/api/v1/spans/search", "/api/v1/analytics"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    filter_text=st.one_of(FILTERS, st.text(max_size=40)),
    endpoint=st.sampled_from(ENDPOINTS),
    order=st.lists(
        st.sampled_from([f + d for f in FIELDS for d in (" ASC", " DESC", "")]), max_size=2
    ),
)
def test_random_filters_never_cause_server_errors(dataset, filter_text, endpoint, order):
    body: dict = {"filter": filter_text, "project": dataset.project}
    if endpoint != "/api/v1/analytics":
        body["order_by"] = order
    status, payload = call(dataset.http_url, "POST", endpoint, body)
    assert status in (200, 400), (status, payload, body, endpoint)
    if status == 400:
        assert payload["detail"]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(token=st.one_of(st.text(max_size=60), st.binary(max_size=60).map(lambda b: b.hex())))
def test_random_page_tokens_are_400(dataset, token):
    status, _ = call(dataset.http_url, "POST", "/api/v1/traces/search",
                     {"page_token": token or "x", "project": dataset.project})  # fmt: skip
    assert status == 400


def test_page_token_of_another_query_is_refused(dataset):
    body = {"project": dataset.project, "max_results": 1}
    _, first = call(dataset.http_url, "POST", "/api/v1/traces/search", body)
    token = first["next_page_token"]
    status, payload = call(dataset.http_url, "POST", "/api/v1/traces/search",
                           {**body, "filter": "trace.cost > 0", "page_token": token})  # fmt: skip
    assert status == 400 and "different query" in payload["detail"]
    status, _ = call(
        dataset.http_url, "POST", "/api/v1/spans/search", {**body, "page_token": token}
    )
    assert status == 400


def test_schemathesis_finds_no_server_errors(dataset, tmp_path):
    exe = Path(sys.executable).with_name("schemathesis")
    cmd = [str(exe), "run", f"{dataset.http_url}/openapi.json", "-n", "15", "--seed", "6",
           "-c", "not_a_server_error", "--no-color", "--phases", "examples,fuzzing",
           "--include-path-regex", "^/api/v1/(traces|spans|sessions|analytics)"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=dict(os.environ),
                          cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_huge_decimal_is_a_value_not_a_crash(dataset):
    # Found by fuzzing: 29 integer digits overflowed the 28-digit decimal context (500).
    for text in ("span.cost = 10000000000000000000", "trace.cost < 99999999999999999999.5"):
        status, payload = call(dataset.http_url, "POST", "/api/v1/traces/search",
                               {"filter": text, "project": dataset.project})  # fmt: skip
        assert status == 200, payload


def test_session_list_filter_on_a_column_it_also_aggregates(dataset):
    # Found by fuzzing: the per-session max(user_id) alias shadowed the filter's column.
    for text in ("trace.user_id = 0", "trace.user_id = 'bob'", "trace.input_tokens > 5"):
        status, payload = call(dataset.http_url, "GET",
                               f"/api/v1/sessions?project={dataset.project}&filter="
                               + urllib.parse.quote(text))  # fmt: skip
        assert status == 200, payload
