"""Pages stay stable while traces keep arriving; the Client and the CLI over the API."""

from __future__ import annotations

import csv
import io
import json
import uuid

import spanwise
from click.testing import CliRunner
from spanwise_collector.cli import cli

from tests.search.dataset import S, base_ns, build, llm, new_trace_id, send


def _send_traces(collector, project: str, starts_ns: list[int]) -> list[str]:
    ids = []
    for start in starts_ns:
        trace_id = new_trace_id()
        root = S("paged", "AGENT", 0, 5, children=[llm("gpt-4o", "openai", 10, 10)])
        send(collector.grpc_target, project, build(trace_id, root, start))
        ids.append(trace_id)
    return ids


def test_pages_neither_repeat_nor_skip_while_inserts_continue(collector):
    project = f"paging-{uuid.uuid4().hex[:6]}"
    base = base_ns()
    original = _send_traces(collector, project, [base + i * 10**9 for i in range(13)])
    client = spanwise.Client(collector.http_url)
    for order_by in (None, ["trace.cost DESC", "trace.timestamp ASC"]):
        seen, token, step = [], None, 0
        while True:
            page = client.search_traces(
                "span.model = 'gpt-4o'", order_by=order_by, max_results=4, page_token=token,
                project=project,
            )  # fmt: skip
            seen += [t.info.trace_id for t in page]
            token = page.token
            if token is None:
                break
            step += 1
            # Newer, older and same-second traces arrive between pages.
            _send_traces(collector, project, [base + 100 * 10**9 + step, base - step * 10**9,
                                              base + 5 * 10**9])  # fmt: skip
        assert len(seen) == len(set(seen)), "a trace was repeated"
        assert set(original) <= set(seen), "a trace was skipped"


def test_client_search_traces_is_backwards_compatible(dataset):
    client = spanwise.Client(dataset.http_url)
    page = client.search_traces(2, project=dataset.project)  # old positional max_results
    assert len(page) == 2 and page.token
    with_spans = client.search_traces(project=dataset.project, include_spans=True,
                                      filter_string="trace.name = 'chat'")  # fmt: skip
    assert [len(t.data.spans) for t in with_spans] == [2]
    frame = client.search_traces("trace.cost > 0", project=dataset.project, return_type="pandas")
    assert sorted(frame["cost"].tolist(), reverse=True)[0] > 0 and len(frame) == 3
    listed = client._request(
        "GET", "/api/v1/traces", params={"limit": 10, "project": dataset.project}
    )
    assert len(listed["traces"]) == 5
    spans = client.search_spans("span.type = 'LLM'", project=dataset.project,
                                order_by="span.cost DESC", return_type="pandas")  # fmt: skip
    assert len(spans) == 4 and spans["model"].iloc[0] == "gpt-4o"


def test_cli_search_commands(dataset):
    runner = CliRunner(env={"COLUMNS": "250"})
    url = ["--url", dataset.http_url, "--project", dataset.project]
    out = runner.invoke(cli, ["traces", "search", "span.model = 'gpt-4o'", *url, "--json"])
    assert out.exit_code == 0, out.output
    assert [t["info"]["trace_id"] for t in json.loads(out.output)["traces"]] == [dataset.ids["t1"]]
    out = runner.invoke(cli, ["traces", "search", "tags.env = 'prod'", *url, "--csv",
                              "--order-by", "trace.cost DESC", "--since", "1d"])  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert [r["trace_id"] for r in rows] == [dataset.ids["t1"], dataset.ids["t3"]]
    out = runner.invoke(cli, ["traces", "search", "trace.cost >", *url])
    assert out.exit_code == 1 and "position" in out.output
    out = runner.invoke(cli, ["spans", "search", "span.type = 'LLM'", *url])
    assert out.exit_code == 0 and "gpt-4o-mini" in out.output
    out = runner.invoke(cli, ["sessions", "list", *url, "--csv"])
    got = [r["session_id"] for r in csv.DictReader(io.StringIO(out.output))]
    assert got == [dataset.sid("s2"), dataset.sid("s1")]
    out = runner.invoke(cli, ["sessions", "get", dataset.sid("s1"), "--url", dataset.http_url])
    assert out.exit_code == 0 and "checkout" in out.output
    out = runner.invoke(cli, ["analytics", "--group-by", "model,day", "--since", "7d", *url,
                              "--csv"])  # fmt: skip
    models = {r["model"] for r in csv.DictReader(io.StringIO(out.output))}
    assert {"gpt-4o", "gpt-4o-mini", "my-local-model"} <= models
    out = runner.invoke(cli, ["analytics", "--group-by", "trace_name", "--level", "trace", *url])
    assert out.exit_code == 0 and "p50_ms" in out.output


def test_client_reads_more_than_one_api_page_as_mlflow_does(collector):
    # MLflow's search_traces(max_results=5000) returns 5,000; the API's page is 1,000
    project = f"many-{uuid.uuid4().hex[:6]}"
    base = base_ns()
    spans = []
    for i in range(1_050):
        spans += build(new_trace_id(), S("paged", "AGENT", 0, 5), base + i * 10**6)
    send(collector.grpc_target, project, spans)
    client = spanwise.Client(collector.http_url)
    first = client.search_traces(max_results=1_030, project=project)
    assert len(first) == len({t.info.trace_id for t in first}) == 1_030 and first.token
    rest = client.search_traces(max_results=100, page_token=first.token, project=project)
    assert len(rest) == 20 and rest.token is None
    assert {t.info.trace_id for t in first}.isdisjoint(t.info.trace_id for t in rest)
    everything = client.search_traces(max_results=5_000, project=project)
    assert len(everything) == 1_050 and everything.token is None
