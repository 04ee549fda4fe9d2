"""The web UI through the real collector: pages built from data the SDK sent, as a
browser gets them (HTML over HTTP), with stored text always escaped."""

from __future__ import annotations

import contextlib
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from html import unescape

import pytest


def _get(collector, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(collector.http_url + path, timeout=30) as resp:
            return resp.status, resp.headers["content-type"], resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["content-type"], err.read().decode()


def _ok(collector, path: str) -> str:
    status, kind, html = _get(collector, path)
    assert status == 200, (path, html[:2000])
    assert kind.startswith("text/html")
    assert '<nav><b>Spanwise</b><a href="/ui/traces"' in html  # every page has the nav
    return html


def _two_pages(collector, first: str, link: str, item: str) -> tuple[str, list[set[str]]]:
    """Follow ``first``'s "next page" link (``link``: its href pattern) to a last page;
    the link and the ``item`` matches of both pages."""
    found = re.search(f'href="({link})">next page', first)
    assert found is not None
    second = _ok(collector, found.group(1).replace("&amp;", "&"))
    assert "next page" not in second
    return found.group(1), [set(re.findall(item, page)) for page in (first, second)]


def _agent(sdk, tag: str, name: str = "support_agent", question: str = "where is 42?") -> str:
    ids = {}

    @sdk.trace(name="lookup", span_type="TOOL")
    def lookup(order: str) -> dict:
        with sdk.start_span("db_query", span_type="RETRIEVER"):
            pass
        return {"order": order, "status": "shipped"}

    @sdk.trace(name=name, span_type="AGENT")
    def agent(question: str) -> str:
        ids["trace"] = sdk.get_current_trace_id()
        sdk.update_current_trace(session_id=f"s-{tag}", user_id="u-ui", tags={"ui": tag})
        return str(lookup("42"))

    agent(question)
    return ids["trace"]


def test_the_list_links_to_a_trace_shown_as_a_tree(sdk, client, collector):
    tag = uuid.uuid4().hex[:8]
    trace_id = _agent(sdk, tag)
    other = _agent(sdk, tag + "x")
    assert sdk.flush(30)
    sdk.log_feedback(trace_id, "helpful", True, rationale="right order")

    for root in ("/", "/ui"):
        home = urllib.request.urlopen(collector.http_url + root, timeout=30)
        assert home.url.endswith("/ui/traces")
    listing = _ok(
        collector, "/ui/traces?" + urllib.parse.urlencode({"filter": f"tags.ui = '{tag}'"})
    )
    assert f'href="/ui/traces/{trace_id}"' in listing and other not in listing
    assert f'href="/ui/sessions/s-{tag}"' in listing
    assert "helpful=true" in listing  # the trace's feedback, in its row

    page = _ok(collector, f"/ui/traces/{trace_id}")
    # the tree: db_query inside lookup's item, lookup inside the agent's
    agent_li = page.index("<b>support_agent</b>")
    lookup_li = page.index("<b>lookup</b>")
    query_li = page.index("<b>db_query</b>")
    assert agent_li < lookup_li < query_li
    between = page[lookup_li:query_li]
    assert '<ul class="tree">' in between and "</li>" not in between
    assert "&quot;status&quot;: &quot;shipped&quot;" in page  # lookup's output, pretty JSON
    assert "&quot;question&quot;: &quot;where is 42?&quot;" in page  # the agent's inputs
    assert "helpful" in page and "right order" in page  # the feedback
    assert f'href="/ui/sessions/s-{tag}"' in page

    session = _ok(collector, f"/ui/sessions/s-{tag}")
    assert f'href="/ui/traces/{trace_id}"' in session and other not in session
    assert f"s-{tag}" in _ok(collector, "/ui/sessions")


def test_stored_text_is_escaped(sdk, collector):
    evil = "<script>alert(1)</script>"
    trace_id = _agent(sdk, uuid.uuid4().hex[:8], name=evil, question=evil)
    assert sdk.flush(30)
    for path in (f"/ui/traces/{trace_id}", "/ui/traces"):
        page = _ok(collector, path)
        assert "<script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_bad_input_gets_an_html_error_page(collector):
    status, kind, page = _get(
        collector, "/ui/traces?filter=" + urllib.parse.quote("trace.bogus = 1")
    )
    assert status == 400 and kind.startswith("text/html")
    assert 'class="error"' in page and "bogus" in page
    assert 'name="filter" value="trace.bogus = 1"' in page  # the form keeps the text to fix
    status, _, page = _get(collector, "/ui/traces/" + "0" * 32)
    assert status == 404 and "no trace with id" in page
    status, _, page = _get(collector, "/ui/traces/not-an-id")
    assert status == 400 and "32 hexadecimal" in page
    for path in ("/ui/runs/nope", "/ui/experiments/nope", "/ui/datasets/nope-" + uuid.uuid4().hex,
                 "/ui/prompts/nope-" + uuid.uuid4().hex, "/ui/sessions/nope-" + uuid.uuid4().hex):  # fmt: skip
        status, kind, page = _get(collector, path)
        # an id of the wrong form is a bad request, an unknown name is not found
        assert status in ((400, 404) if "nope-" not in path else (404,)), (path, status)
        assert kind.startswith("text/html") and 'class="error"' in page, path


def test_experiments_runs_datasets_prompts_and_costs(sdk, client, collector):
    experiment = f"ui-{uuid.uuid4().hex[:8]}"
    sdk.set_experiment(experiment)
    try:
        with sdk.start_run(run_name="rf-depth-8") as run:
            sdk.log_params({"max_depth": 8})
            sdk.log_metric("rmse", 27500.0)
            traced = _agent(sdk, uuid.uuid4().hex[:8])
    finally:
        sdk.set_experiment("Default")
    assert sdk.flush(30)
    experiment_id = client.get_experiment_by_name(experiment).experiment_id

    listing = _ok(collector, "/ui/experiments")
    assert f'href="/ui/experiments/{experiment_id}"' in listing
    runs = _ok(collector, f"/ui/experiments/{experiment_id}")
    assert f'href="/ui/runs/{run.info.run_id}"' in runs
    assert "params.max_depth" in runs and "metrics.rmse" in runs and "27500" in runs
    page = _ok(collector, f"/ui/runs/{run.info.run_id}")
    assert "rmse" in page and f'href="/ui/traces/{traced}"' in page
    assert f'href="/ui/runs/{run.info.run_id}"' in _ok(collector, f"/ui/traces/{traced}")

    name = f"ui-ds-{uuid.uuid4().hex[:8]}"
    client.create_dataset(name, description="golden answers")
    client.merge_records(name, [{"inputs": {"question": "2+2?"}, "expectations": {"answer": "4"},
                                 "source_trace_id": traced}])  # fmt: skip
    assert f'href="/ui/datasets/{name}"' in _ok(collector, "/ui/datasets")
    page = _ok(collector, f"/ui/datasets/{name}")
    assert "2+2?" in page and "golden answers" in page and f"/ui/traces/{traced}" in page

    prompt = f"ui-prompt-{uuid.uuid4().hex[:8]}"
    client.register_prompt(prompt, "Answer {{question}}.", commit_message="first")
    client.register_prompt(prompt, "Answer {{question}} briefly.", aliases=["production"])
    with sdk.start_span("prompted") as span:
        sdk.load_prompt(prompt).format(question="why?")
    assert sdk.flush(30)
    assert f'href="/ui/prompts/{prompt}"' in _ok(collector, "/ui/prompts")
    page = _ok(collector, f"/ui/prompts/{prompt}")
    assert page.index("v2") < page.index("v1") and "production" in page
    assert "Answer {{question}} briefly." in page
    used = re.search(r'href="(/ui/traces\?filter=[^"]+)">traces that used it', page)
    assert used is not None
    linked = _ok(collector, used.group(1).replace("&amp;", "&"))
    assert f'href="/ui/traces/{span.trace_id}"' in linked and traced not in linked

    model = f"ui-model-{uuid.uuid4().hex[:8]}"
    with sdk.start_span("chat", span_type="LLM") as llm:
        llm.set_attributes({"gen_ai.request.model": model, "gen_ai.usage.input_tokens": 120,
                            "gen_ai.usage.output_tokens": 34})  # fmt: skip
    assert sdk.flush(30)
    costs = _ok(collector, "/ui/costs?since=1d")
    assert re.search(r"Total \$[0-9.]+ since 1d", costs)
    # the model's row: one span, its tokens
    row = f'<td>{model}</td><td class="n">1</td><td class="n">120</td><td class="n">34</td>'
    assert row in costs
    status, _, page = _get(collector, "/ui/costs?since=yesterday-ish")
    assert status == 400 and 'class="error"' in page


@pytest.mark.parametrize("path", ["/api/v1/traces?limit=1", "/healthz"])
def test_the_json_api_is_unchanged(collector, path):
    status, kind, _ = _get(collector, path)
    assert status == 200 and kind.startswith("application/json")


def test_an_error_span_is_highlighted(sdk, collector):
    @sdk.trace(name="flaky_tool", span_type="TOOL")
    def tool() -> None:
        raise ValueError("disk on fire")

    @sdk.trace(name="caller")
    def caller() -> str:
        try:
            tool()
        except ValueError:
            pass
        return sdk.get_current_trace_id()

    trace_id = caller()
    assert sdk.flush(30)
    page = _ok(collector, f"/ui/traces/{trace_id}")
    tool_li = page.index("<b>flaky_tool</b>")
    assert re.search(r'<span class="err">ERROR [^<]*disk on fire', page[tool_li:])
    assert 'class="err"' not in page[:tool_li]  # the caller itself is fine


def test_a_session_id_with_a_slash_has_a_page(sdk, collector):
    session = f"team/{uuid.uuid4().hex[:8]}/<chat>"
    with sdk.start_span("turn"):
        sdk.update_current_trace(session_id=session)
        trace_id = sdk.get_current_trace_id()
    assert sdk.flush(30)
    listing = _ok(
        collector,
        "/ui/traces?" + urllib.parse.urlencode({"filter": f"trace.session_id = '{session}'"}),
    )
    href = re.search(r'href="(/ui/sessions/[^"]+)"', listing).group(1)
    assert href == "/ui/sessions/" + urllib.parse.quote(session, safe="")
    page = _ok(collector, href)
    assert f'href="/ui/traces/{trace_id}"' in page and "team/" in page and "&lt;chat&gt;" in page


def test_next_page_keeps_the_filter(sdk, collector):
    tag = uuid.uuid4().hex[:8]
    ids = set()
    for i in range(51):  # one more than a page
        with sdk.start_span(f"batch-{i}"):
            sdk.update_current_trace(tags={"page": tag})
            ids.add(sdk.get_current_trace_id())
    assert sdk.flush(30)
    first = _ok(
        collector, "/ui/traces?" + urllib.parse.urlencode({"filter": f"tags.page = '{tag}'"})
    )
    _, pages = _two_pages(
        collector, first, r"/ui/traces\?[^\"]+", r'href="/ui/traces/([0-9a-f]{32})"'
    )
    assert [len(p) for p in pages] == [50, 1] and pages[0] | pages[1] == ids


def test_two_evaluations_side_by_side(sdk, client, collector):
    cases = [{"inputs": {"q": "a"}, "expectations": {"ok": "A"}, "record_id": "case-a"},
             {"inputs": {"q": "b"}, "expectations": {"ok": "B"}, "record_id": "case-b"}]  # fmt: skip

    def right(outputs, expectations) -> bool:
        return outputs == expectations["ok"]

    experiment = f"ui-compare-{uuid.uuid4().hex[:8]}"
    base = sdk.evaluate(cases, lambda q: "A", [right], run_name="baseline",
                        experiment_name=experiment)  # fmt: skip
    better = sdk.evaluate(cases, lambda q: q.upper(), [right], run_name="better",
                          experiment_name=experiment)  # fmt: skip
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    runs = _ok(collector, f"/ui/experiments/{experiment_id}")
    assert f'name="run" value="{base.run_id}"' in runs and 'action="/ui/compare"' in runs

    page = _ok(collector, f"/ui/compare?run={base.run_id}&run={better.run_id}")
    assert page.index(">baseline<") < page.index(">better<")
    assert "right/mean" in page and ">0.5<" in page and ">1<" in page
    row_b = page[page.index("case-b") :]
    row_b = row_b[: row_b.index("</tr>")]
    assert row_b.index("right=false") < row_b.index("right=true")  # baseline, then better
    assert f'href="/ui/traces/{base.rows[1].trace_id}"' in row_b
    assert f'href="/ui/traces/{better.rows[1].trace_id}"' in row_b

    status, _, one = _get(collector, f"/ui/compare?run={base.run_id}")
    assert status == 400 and "pick 2 to 5 runs" in one
    status, _, gone = _get(collector, f"/ui/compare?run={base.run_id}&run={'0' * 32}")
    assert status == 404 and "no run with id" in gone


def test_metric_curves_and_daily_costs_are_charted(sdk, client, collector):
    experiment = f"ui-charts-{uuid.uuid4().hex[:8]}"
    sdk.set_experiment(experiment)
    runs = []
    try:
        for n, name in enumerate(["lr-0.1", "<i>lr-0.01</i>"]):
            with sdk.start_run(run_name=name) as run:
                for step in range(5):
                    sdk.log_metric("loss", 1.0 / (step + 1) + n, step=step)
                sdk.log_metric("rmse", 27500.0)  # one point: a value, not a curve
            runs.append(run.info.run_id)
    finally:
        sdk.set_experiment("Default")
    assert sdk.flush(30)

    page = _ok(collector, f"/ui/runs/{runs[0]}")
    [chart] = re.findall(r'<figure class="chart">.*?</figure>', page)
    assert "<figcaption>loss" in chart and "rmse" not in chart
    points = re.findall(r"<title>([^<]*)</title></circle>", chart)
    assert points == [f"step {s} = {1.0 / (s + 1):.4g}" for s in range(5)]
    assert chart.count("<polyline") == 1

    compare = _ok(collector, f"/ui/compare?run={runs[0]}&run={runs[1]}")
    [chart] = re.findall(r'<figure class="chart">.*?</figure>', compare)
    assert chart.count("<polyline") == 2  # one curve per run, with a legend
    assert "&lt;i&gt;lr-0.01&lt;/i&gt;" in chart and "<i>" not in chart
    assert "&lt;i&gt;lr-0.01&lt;/i&gt;: step 4 = 1.2" in chart

    with sdk.start_span("chat", span_type="LLM") as llm:
        llm.set_attributes({"gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 1000,
                            "gen_ai.usage.output_tokens": 100})  # fmt: skip
    assert sdk.flush(30)
    costs = _ok(collector, "/ui/costs?since=1d")
    bars = re.findall(r"<rect [^>]*><title>([^<]*)</title></rect>", costs)
    assert bars and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}: \$[0-9.e-]+", b) for b in bars)
    assert float(bars[-1].split("$")[1]) > 0  # today's calls cost something


def test_tags_in_the_list_link_to_their_traces(sdk, collector):
    tag = uuid.uuid4().hex[:8]
    traced = _agent(sdk, tag)
    assert sdk.flush(30)
    listing = _ok(
        collector, f"/ui/traces?filter={urllib.parse.quote(f'tags.ui = {chr(39)}{tag}{chr(39)}')}"
    )
    link = re.search(r'<a href="(/ui/traces\?filter=[^"]+)">ui=' + tag + "</a>", listing)
    assert link is not None, listing[:3000]
    followed = _ok(collector, link.group(1).replace("&amp;", "&"))
    assert f'href="/ui/traces/{traced}"' in followed
    odd = "<b>it's</b>"
    with sdk.start_span("odd") as span:
        sdk.update_current_trace(tags={"ui": odd})
    assert sdk.flush(30)
    page = _ok(
        collector,
        f"/ui/traces?filter={urllib.parse.quote(f'trace.id = {chr(39)}{span.trace_id}{chr(39)}')}",
    )
    assert "ui=&lt;b&gt;it&#x27;s&lt;/b&gt;</a>" in page and "<b>it's" not in page  # a link too


def test_feedback_page_shows_each_score_per_day(sdk, tmp_path):
    """Its own collector: the page lists the most used feedback names of the store."""
    from tests.support.collector import CollectorProcess

    own = CollectorProcess(tmp_path / "data")
    own.start()
    try:
        sdk.configure(endpoint=own.grpc_endpoint, project="tests")
        client = sdk.Client(own.http_url)
        status, _, empty = _get(own, "/ui/feedback")
        assert status == 200 and "No feedback on traces in this window." in empty
        ids = []
        for _ in range(4):
            with sdk.start_span("answer") as span:
                pass
            ids.append(span.trace_id)
        assert sdk.flush(30)
        for tid, ok in zip(ids, (True, True, False, None), strict=True):
            if ok is not None:
                client.log_feedback(tid, "helpful", ok)
        client.log_feedback(ids[3], "tone", "polite")  # text: counted, no mean

        html = _ok(own, "/ui/feedback?since=1d")
        assert "helpful: mean per day (true = 1)" in html and "<svg" in html
        rows = re.findall(r"<tr><td>(helpful|tone)</td><td>[^<]+</td><td[^>]*>(.*?)</td>"
                          r"<td[^>]*>([^<]*)</td></tr>", html)  # fmt: skip
        assert [(n, re.sub("<[^>]+>", "", c), m) for n, c, m in rows] == [
            ("helpful", "3", "0.667"), ("tone", "1", ""),
        ]  # fmt: skip
        assert 'href="/ui/traces?filter=feedback.helpful%20IS%20NOT%20NULL' in html
    finally:
        own.stop()


def test_a_trace_nested_deeper_than_pythons_recursion_limit_has_a_page(sdk, collector):
    import contextlib
    import sys

    depth = sys.getrecursionlimit() + 200  # an agent loop nesting one span per step
    with contextlib.ExitStack() as stack:
        for i in range(depth):
            stack.enter_context(sdk.start_span(f"step-{i}"))
            if i == 0:
                trace_id = sdk.get_current_trace_id()
    assert sdk.flush(30)
    page = _ok(collector, f"/ui/traces/{trace_id}")
    assert f"<h2>Spans ({depth})</h2>" in page
    last = page.index(f"<b>step-{depth - 1}</b>")
    # each step inside the one before it: every list opened so far is still open
    assert page[:last].count('<ul class="tree') == depth
    assert page[:last].count("</ul>") == 0 and page.count("</ul>") == depth


def test_spans_whose_parents_form_a_cycle_are_still_shown(collector):
    """Span ids are the sender's: a buggy exporter can make two spans each other's parent.
    The page lists every span it counts."""
    import os
    import time

    from opentelemetry.proto.trace.v1 import trace_pb2

    from tests.reliability._otlp import stub, wrap

    trace_id, root, b, c = os.urandom(16), os.urandom(8), os.urandom(8), os.urandom(8)
    now = time.time_ns()

    def span(span_id: bytes, parent: bytes, name: str, at: int) -> trace_pb2.Span:
        return trace_pb2.Span(trace_id=trace_id, span_id=span_id, parent_span_id=parent,
                              name=name, start_time_unix_nano=now + at,
                              end_time_unix_nano=now + at + 1000)  # fmt: skip

    service, channel = stub(collector.grpc_target)
    try:
        service.Export(wrap([span(root, b"", "entry", 0), span(b, c, "loop-b", 1),
                             span(c, b, "loop-c", 2)]), timeout=30)  # fmt: skip
    finally:
        channel.close()
    page = _ok(collector, f"/ui/traces/{trace_id.hex()}")
    assert "<h2>Spans (3)</h2>" in page
    for name in ("entry", "loop-b", "loop-c"):
        assert page.count(f"<b>{name}</b>") == 1, name
    assert page.index("<b>loop-b</b>") < page.index("<b>loop-c</b>")  # c under b, once


def test_every_session_is_reachable_through_next_page(sdk, tmp_path):
    """Its own collector: the list holds exactly these sessions."""
    from tests.support.collector import CollectorProcess

    own = CollectorProcess(tmp_path / "data")
    own.start()
    try:
        sdk.configure(endpoint=own.grpc_endpoint, project="tests")
        sessions = {f"chat-{i:02d}" for i in range(51)}  # one more than a page
        for session in sorted(sessions):
            with sdk.start_span("turn"):
                sdk.update_current_trace(session_id=session)
        assert sdk.flush(30)
        first = _ok(own, "/ui/sessions?since=1d")
        link, pages = _two_pages(
            own, first, r"/ui/sessions\?[^\"]+", r'href="/ui/sessions/(chat-\d+)"'
        )
        assert [len(p) for p in pages] == [50, 1] and pages[0] | pages[1] == sessions
        assert "since=1d" in link
    finally:
        own.stop()


def test_every_trace_of_a_run_is_reachable_through_next_page(sdk, client, collector):
    with sdk.start_run(run_name="many-traces") as run:
        made = set()
        for i in range(101):  # one more than a page
            with sdk.start_span(f"case-{i}") as span:
                pass
            made.add(span.trace_id)
    assert sdk.flush(30)
    first = _ok(collector, f"/ui/runs/{run.info.run_id}")
    assert "<h2>Traces (100+)</h2>" in first  # not "(100)": there are more
    _, pages = _two_pages(collector, first, r"/ui/runs/[0-9a-f]{32}\?page_token=[^\"]+",
                          r'href="/ui/traces/([0-9a-f]{32})"')  # fmt: skip
    assert [len(p) for p in pages] == [100, 1] and pages[0] | pages[1] == made


def test_non_ascii_inputs_and_metadata_read_as_written(sdk, collector):
    @sdk.trace(name="translate")
    def translate(text: str) -> str:
        sdk.update_current_trace(metadata={"langue": "français"})
        return "東京はどこ？"

    with sdk.start_span("request") as span:
        translate("où est Tokyo ?")
    assert sdk.flush(30)
    page = _ok(collector, f"/ui/traces/{span.trace_id}")
    assert "où est Tokyo ?" in page and "東京はどこ？" in page and "français" in page
    assert "\\u" not in page  # not JSON's \u escapes


def test_a_query_parameter_over_its_limit_gets_an_html_error_page(collector):
    long = "x" * 10_001
    for path in (f"/ui/traces?filter={long}", f"/ui/sessions?page_token={long}",
                 f"/ui/costs?since={long}"):  # fmt: skip
        status, kind, page = _get(collector, path)
        assert status == 400 and kind.startswith("text/html"), (path, status, kind)
        assert 'class="error"' in page and "at most" in page and long not in page
    # the JSON API keeps FastAPI's JSON answer
    status, kind, _ = _get(collector, "/api/v1/traces?limit=many")
    assert status == 422 and kind.startswith("application/json")


def test_every_tag_link_in_the_list_opens(sdk, collector):
    """A tag too long for a filter in a URL is shown as text, not as a link that fails."""
    with sdk.start_span("long-tag") as span:
        sdk.update_current_trace(tags={"short": "ok", "long": "v" * 12_000})
    assert sdk.flush(30)
    listing = _ok(
        collector,
        f"/ui/traces?filter={urllib.parse.quote(f'trace.id = {chr(39)}{span.trace_id}{chr(39)}')}",
    )
    links = re.findall(r'<a href="(/ui/traces\?filter=[^"]+)">(\w+)=', listing)
    assert [name for _, name in links] == ["short"]
    for href, _ in links:
        assert span.trace_id in _ok(collector, href.replace("&amp;", "&"))


def test_costs_page_counts_llm_calls_as_the_costs_api_does(sdk, client, collector):
    """A framework's chat-model span and the client span inside it are one call; spans
    that are no LLM call are no row of a cost table."""
    usage = {"gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 1000,
             "gen_ai.usage.output_tokens": 100}  # fmt: skip
    client_usage = {**usage, "gen_ai.system": "openai"}
    with (
        sdk.start_span("chain", span_type="CHAIN"),
        sdk.start_span("ChatOpenAI", span_type="LLM", attributes=usage),
        sdk.start_span("chat", span_type="LLM", attributes=client_usage),
    ):
        pass
    assert sdk.flush(30)
    html = _ok(collector, "/ui/costs?since=1d")
    cells = r'<td class="n">([^<]*)</td>'
    shown: dict[str, list[int]] = {}  # per model, over the day rows (a run at midnight: two)
    for model, *numbers in re.findall(
        r"<tr><td>\d{4}-\d{2}-\d{2}</td><td>([^<]+)</td>" + cells * 3, html
    ):
        totals = shown.setdefault(model, [0, 0, 0])
        for n, value in enumerate(numbers):
            totals[n] += int(value)
    api = client.cost_summary(group_by=["model"], since="1d")
    # Model calls that named no model (other tests' in this store) read "(no model)"; the
    # chain and agent spans are in no row (the API leaves them out too).
    assert shown == {
        r.key["model"] or "(no model)": [r.calls, r.input_tokens, r.output_tokens] for r in api.rows
    }
    total = f"{api.total.cost:.6f}".rstrip("0").rstrip(".")
    assert f"Total ${total} since 1d." in html


def test_a_long_error_message_is_cut_on_the_span_line_and_whole_below(sdk, collector):
    message = "upstream said: " + "<x> " * 2_000

    @sdk.trace(name="call_api")
    def call_api() -> None:
        raise RuntimeError(message)

    with sdk.start_span("request") as span, contextlib.suppress(RuntimeError):
        call_api()
    assert sdk.flush(30)
    page = _ok(collector, f"/ui/traces/{span.trace_id}")
    line = page[page.index("<b>call_api</b>") :]
    line = line[: line.index("<details>")]  # the span's line, up to its details
    assert len(line) < 1_500 and "ERROR RuntimeError: upstream said: &lt;x&gt;" in line
    assert line.endswith("…</span>")
    error = re.search(r"<summary>error</summary><pre>([^<]*)</pre>", page)
    assert error is not None and unescape(error.group(1)) == f"RuntimeError: {message}"


def test_a_runs_page_lists_its_artifacts_with_download_links(sdk, collector, tmp_path):
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "loss curve.csv").write_text("step,loss\n0,1.0\n")
    (tmp_path / "model.txt").write_text("weights")
    with sdk.start_run(run_name="with-artifacts") as run:
        sdk.log_artifact(tmp_path / "model.txt")
        sdk.log_artifacts(tmp_path / "plots", artifact_path="plots")
    assert sdk.flush(30)
    page = _ok(collector, f"/ui/runs/{run.info.run_id}")
    assert "<h2>Artifacts (2)</h2>" in page
    links = dict(
        (text, href)
        for href, text in re.findall(r'<a href="(/api/v1/runs/[^"]+)">([^<]+)</a>', page)
    )
    assert set(links) == {"model.txt", "plots/loss curve.csv"}
    with urllib.request.urlopen(collector.http_url + unescape(links["plots/loss curve.csv"])) as r:
        assert r.read() == b"step,loss\n0,1.0\n"


def test_every_run_of_an_experiment_is_reachable_through_next_page(sdk, client, collector):
    experiment = f"ui-sweep-{uuid.uuid4().hex[:8]}"
    sdk.set_experiment(experiment)
    made = set()
    try:
        for i in range(101):  # one more than a page
            with sdk.start_run(run_name=f"trial-{i}") as run:
                pass
            made.add(run.info.run_id)
    finally:
        sdk.set_experiment("Default")
    assert sdk.flush(30)
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    first = _ok(collector, f"/ui/experiments/{experiment_id}")
    _, pages = _two_pages(collector, first, r"/ui/experiments/[0-9a-f]+\?page_token=[^\"]+",
                          r'name="run" value="([0-9a-f]{32})"')  # fmt: skip
    assert [len(p) for p in pages] == [100, 1] and pages[0] | pages[1] == made


def test_a_session_id_too_long_for_its_page_is_text_not_a_broken_link(sdk, collector):
    long_session = "s" * 1_500
    with sdk.start_span("turn") as span:
        sdk.update_current_trace(session_id=long_session)
    assert sdk.flush(30)
    listing = _ok(
        collector,
        f"/ui/traces?filter={urllib.parse.quote(f'trace.id = {chr(39)}{span.trace_id}{chr(39)}')}",
    )
    for page in (listing, _ok(collector, f"/ui/traces/{span.trace_id}")):
        assert long_session in page  # shown
        for href in re.findall(r'href="(/ui/sessions/[^"]+)"', page):
            _ok(collector, href)  # every session link opens


def test_a_run_id_no_run_can_have_is_text_not_a_broken_link(collector):
    """Another tool's spans may carry any text as the run id attribute."""
    import os
    import time

    from opentelemetry.proto.trace.v1 import trace_pb2

    from tests.reliability._otlp import stub, wrap
    from tests.support.otlp import key_value

    trace_id, now = os.urandom(16), time.time_ns()
    span = trace_pb2.Span(trace_id=trace_id, span_id=os.urandom(8), name="step",
                          start_time_unix_nano=now, end_time_unix_nano=now + 1000,
                          attributes=[key_value("spanwise.run_id", "sweep/<7>")])  # fmt: skip
    service, channel = stub(collector.grpc_target)
    try:
        service.Export(wrap([span]), timeout=30)
    finally:
        channel.close()
    page = _ok(collector, f"/ui/traces/{trace_id.hex()}")
    assert "sweep/&lt;7&gt;" in page and "/ui/runs/" not in page


@pytest.mark.parametrize("path", ["/ui/nope", "/ui/runs/a/b", "/ui/traces/0/spans"])
def test_an_unknown_ui_address_gets_an_html_not_found_page(collector, path):
    status, kind, page = _get(collector, path)
    assert status == 404 and kind.startswith("text/html") and 'class="error"' in page


@pytest.mark.parametrize("path", ["/ui/", "/ui/traces/", "/ui/sessions/"])
def test_a_trailing_slash_leads_to_the_page(collector, path):
    with urllib.request.urlopen(collector.http_url + path, timeout=30) as resp:
        assert resp.status == 200 and resp.url.endswith(
            path.rstrip("/") if path != "/ui/" else "/ui/traces"
        )


def test_assessment_values_on_a_trace_read_as_json(sdk, client, collector):
    with sdk.start_span("judged") as span:
        pass
    assert sdk.flush(30)
    client.log_feedback(span.trace_id, "correct", False)
    client.log_feedback(span.trace_id, "detail", {"score": 0.5, "pass": True, "note": None})
    client.log_feedback(span.trace_id, "tone", "polite")
    page = _ok(collector, f"/ui/traces/{span.trace_id}")
    values = dict(re.findall(r"<tr><td>feedback</td><td>(\w+)</td><td>([^<]*)</td>", page))
    assert {k: unescape(v) for k, v in values.items()} == {
        "correct": "false", "detail": '{"score": 0.5, "pass": true, "note": null}', "tone": "polite",
    }  # fmt: skip


def test_links_to_traces_work_for_names_with_backquotes_quotes_and_backslashes(
    sdk, client, collector
):
    """A tag, a feedback name and a prompt name are free text: their links still open a
    list holding the trace."""
    odd = "it's a `name` \\ here"
    client.register_prompt(odd, "Hi {{x}}")
    with sdk.start_span("odd") as span:
        sdk.update_current_trace(tags={odd: odd})
        sdk.load_prompt(odd).format(x="1")
    assert sdk.flush(30)
    client.log_feedback(span.trace_id, odd, True)
    listing = _ok(
        collector,
        f"/ui/traces?filter={urllib.parse.quote(f'trace.id = {chr(39)}{span.trace_id}{chr(39)}')}",
    )
    prompt = _ok(collector, f"/ui/prompts/{urllib.parse.quote(odd, safe='')}")
    # The feedback page lists the 20 most used names, which in the suite's shared store are
    # others': its link for this name (ui/filter_links.has_feedback, the page's quoting).
    from spanwise_collector.filters import FieldRef, IsNull

    where = urllib.parse.quote(str(IsNull(FieldRef("feedback", odd), negated=True)), safe="")
    feedback = f'<a href="/ui/traces?filter={where}&amp;since=1d">'
    for page, text in ((listing, f">{odd}={odd}</a>"), (prompt, ">traces that used it</a>"),
                       (feedback, "")):  # fmt: skip
        hrefs = [h for h in re.findall(r'href="(/ui/traces\?filter=[^"]+)">', page)
                 if urllib.parse.quote(odd, safe="")[:8] in h]  # fmt: skip
        assert hrefs, text
        for href in hrefs:
            assert f'href="/ui/traces/{span.trace_id}"' in _ok(collector, unescape(href))


def test_comparing_evaluations_of_more_than_a_thousand_records_shows_them_all(
    sdk, client, collector
):
    cases = [{"inputs": {"q": f"q{i}"}, "expectations": {"ok": f"Q{i}"}, "record_id": f"case-{i:04d}"}
             for i in range(1001)]  # fmt: skip

    def right(outputs, expectations) -> bool:
        return outputs == expectations["ok"]

    experiment = f"ui-big-eval-{uuid.uuid4().hex[:8]}"
    runs = [sdk.evaluate(cases, model, [right], experiment_name=experiment)
            for model in (lambda q: q.upper(), lambda q: "?")]  # fmt: skip
    assert sdk.flush(30)
    page = _ok(collector, f"/ui/compare?run={runs[0].run_id}&run={runs[1].run_id}")
    assert "<h2>Records (1001)</h2>" in page
    assert set(re.findall(r'<span class="id">(case-\d+)</span>', page)) == {
        c["record_id"] for c in cases
    }


def test_a_session_longer_than_its_page_counts_all_its_traces(client, collector):
    """The page lists the first 10,000 traces; the totals are the whole session's, as in
    the list of sessions and the API."""
    import os
    import time

    from opentelemetry.proto.trace.v1 import trace_pb2

    from tests.reliability._otlp import stub, wrap
    from tests.support.otlp import key_value

    session, now = f"long-{uuid.uuid4().hex[:8]}", time.time_ns()
    spans = [trace_pb2.Span(trace_id=os.urandom(16), span_id=os.urandom(8), name="turn",
                            start_time_unix_nano=now + i, end_time_unix_nano=now + i + 10,
                            attributes=[key_value("session.id", session)])
             for i in range(10_001)]  # fmt: skip
    service, channel = stub(collector.grpc_target)
    try:
        service.Export(wrap(spans), timeout=60)
    finally:
        channel.close()
    found = client.get_session(session)
    assert found.truncated and found.info.trace_count == 10_001 and len(found.traces) == 10_000
    page = _ok(collector, f"/ui/sessions/{session}")
    assert "<b>traces</b> 10001" in page and "The first 10000 traces are listed." in page
