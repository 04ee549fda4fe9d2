"""Span analytics from the hourly rollup equal the span scan, exactly: random spans over
several days, windows not on hour boundaries, a re-delivered batch, two reprices, and a
store that held spans before the rollup existed. Real ingest path (convert → pricing →
dedup → insert) into the test process's chDB; the scan path is the same function with
``use_rollup=False``."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from spanwise_collector.costs import PricingProcessor
from spanwise_collector.costs.reprice import reprice
from spanwise_collector.filters import parse_filter
from spanwise_collector.pipeline.pipeline import Pipeline
from spanwise_collector.query.costs import cost_summary
from spanwise_collector.query.rollup import rollup_hours
from spanwise_collector.search.analytics import analytics
from spanwise_collector.search.rollup_filter import rollup_fields
from spanwise_collector.store.ddl import MIGRATIONS
from spanwise_pricing import PriceBook

from tests.search.dataset import HOUR_NS, S, build, llm, new_trace_id
from tests.support.embedded import embedded_store, takes_current_spans

PRICES = """
models:
  - provider: openai
    id: gpt-4o-mini
    prices: [{{valid_from: 2024-01-01, version: v{n}, input: {n}, output: {m}}}]
{extra}"""
# In the second price file the unknown model gets a price: its spans become priced.
NEW_MODEL = """  - provider: acme
    id: acme-1
    prices: [{valid_from: 2024-01-01, version: a1, input: 3, output: 4}]
"""
QUERIES = [
    (["day", "model"], ["count", "cost", "input_tokens", "output_tokens"]),
    ([], ["count", "cost", "input_tokens", "output_tokens", "error_count", "error_rate"]),
    (["hour", "provider", "span_type"], ["count", "error_count", "cost"]),
    (["span_name", "project"], ["count", "cost", "output_tokens", "error_rate"]),
]
COST_KEYS = [["model"], ["day", "provider"], [], ["project", "model"]]
# Filters on the rollup's key columns only: the rollup path applies them to both parts.
FILTERS = [
    "span.model = 'gpt-4o' AND span.status = 'ERROR'",
    "span.model != 'gpt-4o-mini'",  # spans without a model match neither = nor !=
    "span.model IS NULL",
    "span.model IN ('gpt-4o', 'acme-1') OR span.provider = 'acme'",
    "span.provider NOT IN ('openai')",
    "span.provider IS NOT NULL AND NOT span.provider = 'acme'",
    "span.type = 'llm'",  # enum values in any case
    "span.type NOT IN ('TOOL', 'AGENT') AND span.status = 'ok'",
    "NOT (span.status = 'ERROR' OR span.type = 'TOOL')",
    "span.name LIKE 'c%' OR span.name IN ('lookup')",
    "span.name != 'framework' AND span.name ILIKE '%O%'",
    "span.cost_status = 'ok'",
    "span.cost_status IN ('counted_in_child', 'counted_in_parent', 'unknown_model')",
    "span.cost_status IS NULL OR span.cost_status NOT IN ('ok')",
]
# Filters on anything else: always the scan.
SCAN_FILTERS = [
    "span.input_tokens > 100",
    "span.model = 'gpt-4o' AND span.cost > 0.0001",
    "span.attributes.`gen_ai.request.model` = 'gpt-4o'",
    "span.duration_ms < 1000 OR span.status = 'ERROR'",
    "NOT trace.project = 'p2'",
    "trace.status = 'ERROR' AND span.type = 'LLM'",
    "trace.text != 'no such text'",
]
DAYS = 4


def _prices(tmp_path, n: int, m: int, extra: str = ""):
    path = tmp_path / f"prices-{n}-{m}.yaml"
    path.write_text(PRICES.format(n=n, m=m, extra=extra))
    return PriceBook.load(overrides=[path])


def _trace(rng: random.Random) -> S:
    children: list[S] = []
    for i in range(rng.randint(1, 5)):
        model, provider = rng.choice(
            [("gpt-4o-mini", "openai"), ("gpt-4o", "openai"), ("acme-1", "acme")]
        )
        call = llm(model, provider, rng.randint(1, 5000), rng.randint(0, 900),
                   start_ms=10 * i, duration_ms=rng.randint(1, 3000), error=rng.random() < 0.1,
                   name=rng.choice(["chat", "completion"]))  # fmt: skip
        if rng.random() < 0.3:  # framework span around the client span: tokens count once
            call = llm(model, provider, call.attrs["gen_ai.usage.input_tokens"],
                       call.attrs["gen_ai.usage.output_tokens"], start_ms=10 * i,
                       duration_ms=call.duration_ms + 5, name="framework", children=[call])  # fmt: skip
        children.append(call)
        if rng.random() < 0.5:
            children.append(S(rng.choice(["lookup", "search"]), "TOOL", 10 * i + 5, 30,
                              error=rng.random() < 0.2))  # fmt: skip
    return S("agent", "AGENT", 0, 4000, rng.random() < 0.05, {}, children)


def _request(traces: list[tuple[str, S, int]]):
    request = trace_service_pb2.ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    for trace_id, root, start in traces:
        scope.spans.extend(build(trace_id, root, start))
    return request


def _batches(rng: random.Random, end_ns: int, n: int, hours: int = DAYS * 24) -> list:
    """n traces at random times in the hours before end_ns, in requests of 10."""
    traces = [(new_trace_id(), _trace(rng), end_ns - rng.randrange(hours * HOUR_NS))
              for _ in range(n)]  # fmt: skip
    return [_request(traces[i : i + 10]) for i in range(0, n, 10)]


def _windows(rng: random.Random, end: datetime) -> list[tuple[object, object]]:
    out: list[tuple[object, object]] = [
        (None, None),
        ((end - timedelta(days=30)).isoformat(), None),
    ]
    for _ in range(3):
        since = end - timedelta(
            seconds=rng.randrange(DAYS * 86_400), microseconds=rng.randrange(10**6)
        )
        until = since + timedelta(seconds=rng.randrange(3_600, 3 * 86_400), microseconds=7)
        out.append((since.isoformat(), until.isoformat()))
    out.append(((end - timedelta(minutes=90, seconds=1)).isoformat(), None))  # no whole hour
    return out


def _assert_same(store, rng: random.Random, end: datetime, project: str) -> int:
    """Both paths agree on every query and window; returns how many used the rollup."""
    used = 0
    for since, until in _windows(rng, end):
        for group_by, metrics in QUERIES:
            kw = dict(group_by=group_by, metrics=metrics, since=since, until=until,
                      project=project, limit=10_000)  # fmt: skip
            fast, scan = analytics(store, **kw), analytics(store, use_rollup=False, **kw)
            assert fast == scan, (since, until, group_by)
        for n, text in enumerate(rng.sample(FILTERS, 3)):  # all of them over the calls
            group_by, metrics = QUERIES[n % len(QUERIES)]
            kw = dict(group_by=group_by, metrics=metrics, filter=text, since=since,
                      until=until, project=project, limit=10_000)  # fmt: skip
            fast, scan = analytics(store, **kw), analytics(store, use_rollup=False, **kw)
            assert fast == scan, (since, until, text)
        # LIMIT keeps the first groups: a repriced span in a later group still counts
        # (the edge scan's check covers every group, not the ones returned).
        kw = dict(group_by=["hour", "model"], metrics=["count", "cost"], since=since,
                  until=until, project=project, limit=2)  # fmt: skip
        assert analytics(store, **kw) == analytics(store, use_rollup=False, **kw)
        a = datetime.fromisoformat(since) if since else end - timedelta(days=DAYS + 1)
        b = datetime.fromisoformat(until) if until else end + timedelta(hours=1)
        used += rollup_hours(store, a, b) is not None
        for group_by in COST_KEYS:  # GET /api/v1/costs
            fast = cost_summary(store, group_by, a, b, project or None)
            scan = cost_summary(store, group_by, a, b, project or None, use_rollup=False)
            fast["rows"].sort(key=lambda r: sorted(r["key"].items()))
            scan["rows"].sort(key=lambda r: sorted(r["key"].items()))
            assert fast == scan, (a, b, group_by)
    return used


def _assert_fast_path(store, end: datetime) -> None:
    """The rollup path is taken for FILTERS and not for SCAN_FILTERS, seen from outside:
    project "probe" gets a copy of p1's rollup rows but no spans. Over whole hours (no
    edge scan) the rollup path on "probe" must equal the scan of p1 (so it read the
    rollup, filtered exactly like the scan); the scan of "probe" is empty."""
    store.command(
        "INSERT INTO span_rollup_hourly SELECT * REPLACE ('probe' AS Project)"
        " FROM (SELECT * FROM span_rollup_hourly WHERE Project = 'p1')"
    )
    hour = end.replace(minute=0, second=0)
    since, until = (hour - timedelta(days=DAYS + 1)).isoformat(), hour.isoformat()
    for n, text in enumerate(FILTERS):
        group_by, metrics = QUERIES[n % len(QUERIES)]
        kw = dict(group_by=[k for k in group_by if k != "project"], metrics=metrics,
                  filter=text, since=since, until=until, limit=10_000)  # fmt: skip
        fast = analytics(store, project="probe", **kw)
        assert fast["rows"], text  # every filter matches some spans
        assert fast["rows"] == analytics(store, project="p1", use_rollup=False, **kw)["rows"]
        assert analytics(store, project="probe", use_rollup=False, **kw)["rows"] == []
    for text in SCAN_FILTERS:
        kw = dict(group_by=["day", "model"], metrics=["count", "cost"], filter=text,
                  since=since, until=until, project="probe")  # fmt: skip
        assert analytics(store, **kw)["rows"] == [], text
        assert analytics(store, **{**kw, "project": "p1"})["rows"], text  # spans match
    store.command("DELETE FROM span_rollup_hourly WHERE Project = 'probe'")


@pytest.fixture
def store(embedded_chdb_path):
    return embedded_store(embedded_chdb_path, "rollup")


def test_rollup_equals_scan_with_redelivery_and_reprice(store, tmp_path):
    rng = random.Random(7)
    end = datetime.now(UTC).replace(microsecond=0)
    end_ns = int(end.timestamp()) * 10**9
    pipeline = Pipeline(store, [PricingProcessor(_prices(tmp_path, 1, 2), store)],
                        spool_dir=tmp_path / "spool", linger=0)  # fmt: skip
    try:
        requests = _batches(rng, end_ns, 120)
        for request in requests:
            pipeline.consume(request, "p1")
        pipeline.consume(_batches(rng, end_ns, 10)[0], "p2")  # another project, same hours
        assert pipeline.sync()
        assert _assert_same(store, rng, end, "p1") >= 3
        assert _assert_same(store, rng, end, "") >= 3

        # A client retry: the whole batch again. Dropped at ingest; totals unchanged.
        before = analytics(store, group_by=["model"], project="p1")
        pipeline.consume(requests[3], "p1")
        assert pipeline.sync()
        assert pipeline.stats["duplicates"] > 0
        assert analytics(store, group_by=["model"], project="p1") == before
        _assert_same(store, rng, end, "p1")
    finally:
        pipeline.close()

    # Price corrections: gpt-4o-mini changes price, then acme-1 (unpriced) gets one.
    since = end - timedelta(days=DAYS + 1)
    first = reprice(store, _prices(tmp_path, 5, 7), since)
    assert first.spans_repriced > 0
    _assert_same(store, rng, end, "p1")
    second = reprice(store, _prices(tmp_path, 2, 3, NEW_MODEL), since)
    assert second.spans_repriced > first.spans_repriced  # the acme-1 spans too
    rows = analytics(store, group_by=["model"], metrics=["cost"], project="p1")["rows"]
    assert {r["key"]["model"]: r["cost"] is not None for r in rows}["acme-1"]
    _assert_same(store, rng, end, "p1")
    _assert_same(store, rng, end, "")
    _assert_fast_path(store, end)


def test_store_with_spans_before_the_rollup_scans_those_hours(embedded_chdb_path, tmp_path):
    """Migration 5 on a store that already holds spans: the view never saw them, so the
    rollup is used only from the hour after them; results stay exact."""
    store = embedded_store(embedded_chdb_path, "old", MIGRATIONS[:3])
    takes_current_spans(store)  # the spans an older collector wrote
    rng = random.Random(11)
    end = datetime.now(UTC).replace(microsecond=0)
    pipeline = Pipeline(store, [PricingProcessor(_prices(tmp_path, 1, 2), store)],
                        spool_dir=tmp_path / "spool", linger=0)  # fmt: skip
    try:
        for request in _batches(rng, int(end.timestamp()) * 10**9, 30):
            pipeline.consume(request, "old")
        assert pipeline.sync()
        assert store.migrate() == [m.version for m in MIGRATIONS[3:]]
        assert rollup_hours(store, end - timedelta(days=DAYS + 1), end) is None
        later = end + timedelta(hours=6)
        assert rollup_hours(store, end, later) is not None
        for request in _batches(rng, int(later.timestamp()) * 10**9, 30, hours=8):
            pipeline.consume(request, "old")  # the view sees these, old hours and new
        assert pipeline.sync()
        _assert_same(store, rng, later, "old")
        for since in (None, (end - timedelta(minutes=7)).isoformat()):
            kw = dict(group_by=["hour", "model"], since=since, until=later.isoformat(),
                      project="old")  # fmt: skip
            assert analytics(store, **kw) == analytics(store, use_rollup=False, **kw)
    finally:
        pipeline.close()


def test_rollup_fields_decided_from_the_parsed_filter():
    def fields(text):
        return rollup_fields(parse_filter(text))

    assert fields("NOT (span.model = 'a' OR span.type IN ('LLM'))") == {"span.model", "span.type"}
    assert fields("span.cost_status IS NULL") == {"span.cost_status"}
    assert fields("span.name = 'x' AND span.output_tokens > 1") is None
    assert fields("span.attributes.model = 'x'") is None  # an attribute, not the column
    assert fields("trace.name = 'x'") is None
    assert fields("no.such.field = 1") is None  # the scan path reports the error
    assert rollup_fields(None) == frozenset()
