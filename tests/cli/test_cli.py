"""The `spanwise` command line, run as a user runs it (subprocess)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import spanwise

from tests.support.collector import CollectorProcess, source_env


def run_cli(
    *args: str, timeout: float = 120, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spanwise_collector", *args], input=input,
        capture_output=True, text=True, timeout=timeout, env=source_env({"COLUMNS": "200"}),
    )  # fmt: skip


def test_help_everywhere():
    for args in (["--help"], ["collector", "--help"], ["traces", "--help"], ["traces", "get", "--help"],
                 ["traces", "list", "--help"], ["demo", "--help"], ["assessments", "--help"],
                 ["assessments", "feedback", "--help"], ["traces", "delete", "--help"], ["traces", "tag", "--help"],
                 ["traces", "untag", "--help"], ["traces", "export", "--help"],
                 ["datasets", "--help"], ["datasets", "import", "--help"], ["prompts", "--help"],
                 ["prompts", "create", "--help"], ["monitor", "--help"], ["review", "--help"]):  # fmt: skip
        result = run_cli(*args)
        assert result.returncode == 0, result.stderr
        assert "Usage:" in result.stdout


def test_traces_get_and_list(sdk, collector):
    with spanwise.start_span("cli-root", span_type="AGENT") as root:
        with spanwise.start_span("cli-child", span_type="TOOL"):
            pass
        trace_id = root.trace_id
    assert sdk.flush(30)

    tree = run_cli("traces", "get", trace_id, "--url", collector.http_url)
    assert tree.returncode == 0, tree.stderr
    assert "cli-root" in tree.stdout and "cli-child" in tree.stdout and "TOOL" in tree.stdout
    assert tree.stdout.index("cli-root") < tree.stdout.index("cli-child")

    as_json = json.loads(
        run_cli("traces", "get", trace_id, "--url", collector.http_url, "--json").stdout
    )
    assert as_json["info"]["trace_id"] == trace_id
    assert {s["name"] for s in as_json["spans"]} == {"cli-root", "cli-child"}

    listed = run_cli("traces", "list", "--url", collector.http_url, "--limit", "50")
    assert listed.returncode == 0 and trace_id in listed.stdout
    listed_json = json.loads(
        run_cli("traces", "list", "--url", collector.http_url, "--json").stdout
    )
    assert trace_id in {t["info"]["trace_id"] for t in listed_json["traces"]}


def test_traces_get_io_shows_inputs_and_outputs_cut_to_a_line(sdk, collector):
    @spanwise.trace(span_type="TOOL")
    def lookup(city: str, notes: str) -> dict:
        return {"city": city, "forecast": "sunny"}

    @spanwise.trace(span_type="AGENT")
    def agent() -> str:
        return str(lookup("Lyon", "x" * 1000))

    with spanwise.start_span("io-root") as root:
        agent()
    assert sdk.flush(30)
    args = ("traces", "get", root.trace_id, "--url", collector.http_url)
    plain, with_io = run_cli(*args), run_cli(*args, "--io")
    assert plain.returncode == with_io.returncode == 0, with_io.stderr
    assert "Lyon" not in plain.stdout
    text = " ".join(with_io.stdout.split())
    assert '"city":"Lyon"' in text and '"forecast":"sunny"' in text
    assert "… (1,026 characters)" in text and "x" * 1000 not in with_io.stdout


def test_tables_fit_the_terminal_by_leaving_columns_out(sdk, collector):
    with spanwise.start_span("narrow-terminal-root", span_type="AGENT") as root:
        trace_id = root.trace_id
    assert sdk.flush(30)
    args = ("traces", "list", "--url", collector.http_url, "--limit", "5")
    wide = _run_width(200, *args)
    narrow = _run_width(80, *args)
    assert wide.returncode == narrow.returncode == 0, narrow.stderr
    header = next(line for line in narrow.stdout.splitlines() if "trace id" in line)
    shown = {c.strip() for c in header.strip("┃ ").split("┃")}
    # whole ids and headers, no cell cut to "…"; what was left out is named, the least
    # useful first (how many go depends on the other tests' trace names and costs)
    assert trace_id in narrow.stdout and "…" not in narrow.stdout
    text = " ".join(narrow.stdout.split())
    hidden = text.split("not shown for lack of width: ")[1].split(" (--json")[0].split(", ")
    assert hidden[:2] == ["tokens", "start"] and not shown & set(hidden)
    assert shown | set(hidden) == {"trace id", "name", "start", "duration", "status", "spans",
                                   "tokens", "cost"}  # fmt: skip
    # the next-page token is one line on purpose (the terminal wraps it; it copies whole)
    table = [x for x in narrow.stdout.splitlines() if not x.startswith("more: --page-token")]
    assert max(map(len, table)) <= 80
    wide_header = next(line for line in wide.stdout.splitlines() if "trace id" in line)
    assert "start" in wide_header and "tokens" in wide_header
    assert "not shown" not in wide.stdout


def _run_width(columns: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spanwise_collector", *args], capture_output=True, text=True,
        timeout=60, env=source_env({"COLUMNS": str(columns)}),
    )  # fmt: skip


def test_errors_are_one_line_not_a_traceback(collector):
    result = run_cli("traces", "get", "nope", "--url", collector.http_url)
    assert result.returncode == 1
    assert "32 hexadecimal" in result.stderr and "Traceback" not in result.stderr
    down = run_cli("traces", "list", "--url", "http://127.0.0.1:9")
    assert down.returncode == 1 and "cannot reach" in down.stderr


def test_collector_refuses_a_directory_in_use(collector):
    result = run_cli(
        "collector", "--store", collector.store, "--grpc-port", "0", "--http-port", "0", timeout=60
    )
    assert result.returncode == 2
    assert "another" in result.stderr and "Traceback" not in result.stderr


def test_collector_says_when_it_cannot_make_the_store_directory(tmp_path):
    (tmp_path / "a-file").write_text("")
    store = tmp_path / "a-file" / "db"  # even root cannot make a directory under a file
    result = run_cli("collector", "--store", str(store), "--grpc-port", "0", "--http-port", "0")
    assert result.returncode == 2
    assert f"cannot create the embedded store directory {store}" in result.stderr
    assert "--store" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("option", ["--grpc-port", "--http-port"])
def test_collector_says_which_port_is_taken(tmp_path, option):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        other = "--http-port" if option == "--grpc-port" else "--grpc-port"
        result = run_cli("collector", "--store", str(tmp_path / "db"), option, port, other, "0",
                         timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr and option in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("192.0.2.1", "Cannot assign requested address"),
        ("no-such-host.invalid", "does not resolve"),
    ],
)
def test_collector_says_when_host_is_not_this_machines(tmp_path, host, reason):
    """A --host the machine cannot listen on was reported as a taken --grpc-port."""
    result = run_cli("collector", "--store", str(tmp_path / "db"), "--host", host,
                     "--grpc-port", "0", "--http-port", "0", timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert reason in result.stderr and "--host" in result.stderr, result.stderr
    assert "in use" not in result.stderr and "Traceback" not in result.stderr


def test_demo_prints_trace_trees():
    result = run_cli("demo", "--runs", "1", timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "research_agent" in out and "AGENT" in out and "RETRIEVER" in out
    assert "flaky_search" in out and "ERROR" in out  # the handled tool error
    assert "lookup_weather" in out and "stream_answer" in out
    assert "Assessments" in out and "HUMAN demo-user" in out  # feedback on the first trace
    # an evaluation of the OpenAI agent on a small dataset, its scores on the run
    said = " ".join(result.stderr.split())
    assert "(dataset support-golden, 2 records)" in said and "used_the_order_tool/mean" in said
    assert "CODE used_the_order_tool" in out  # the scorer's feedback on an evaluated trace


def test_demo_json_is_pure_json_with_llm_costs():
    result = run_cli("demo", "--runs", "1", "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    traces = json.loads(result.stdout)  # progress lines go to stderr
    names = {t["info"]["name"] for t in traces}
    assert {"research_agent", "support_agent"} <= names
    llm = [s for t in traces for s in t["data"]["spans"] if s["span_type"] == "LLM"]
    assert llm and all(s["model"] and s["input_tokens"] for s in llm)
    assert all(s["cost"] is not None or s["cost_status"] == "counted_in_child" for s in llm)
    (feedback,) = traces[0]["info"]["assessments"]
    assert (feedback["name"], feedback["value"]) == ("helpful", True)
    # the temporary store is gone with the demo's collector: the hint says how to keep it
    assert "spanwise demo --store" in " ".join(result.stderr.split())


def test_demo_store_is_read_again_by_the_collector_it_names(tmp_path):
    store = tmp_path / "demo data"
    result = run_cli("demo", "--runs", "1", "--json", "--store", str(store), timeout=300)
    assert result.returncode == 0, result.stderr
    printed = {t["info"]["trace_id"] for t in json.loads(result.stdout)}
    hint = " ".join(result.stderr.split())  # rich wraps long lines
    assert f"spanwise collector --store '{store}'" in hint and "spanwise traces list" in hint
    collector = CollectorProcess(store).start()
    try:
        listed = spanwise.Client(collector.http_url).search_traces(max_results=100)
        assert {t.info.trace_id for t in listed} == printed and len(printed) >= 3
    finally:
        collector.stop()


def test_limit_and_max_results_are_the_same_option_everywhere(sdk, collector):
    # runs/experiments took only --max-results (MLflow's name), the others only --limit
    spanwise.set_experiment("cli-limit-alias")
    for name in ("a", "b"):
        with spanwise.start_run(run_name=name):
            spanwise.log_metric("m", 1.0)
    for name in ("t1", "t2"):
        with spanwise.start_span(name):
            pass
    spanwise.flush()
    url = ("--url", collector.http_url, "--json")
    runs = run_cli("runs", "search", "--experiment", "cli-limit-alias", "--limit", "1", *url)
    assert runs.returncode == 0, runs.stderr
    assert len(json.loads(runs.stdout)["runs"]) == 1
    experiments = run_cli("experiments", "list", "--limit", "1", *url)
    assert experiments.returncode == 0, experiments.stderr
    assert len(json.loads(experiments.stdout)["experiments"]) == 1
    traces = run_cli("traces", "list", "--max-results", "1", *url)
    assert traces.returncode == 0, traces.stderr
    assert len(json.loads(traces.stdout)["traces"]) == 1


def test_a_delete_without_an_answer_names_yes_and_y_works_everywhere(sdk, collector):
    # in a script (no answer on stdin) click printed a bare "Aborted!"; only traces took -y
    client = spanwise.Client(collector.http_url)
    url = ("--url", collector.http_url)
    assert run_cli("prompts", "create", "cli-yes", "--template", "hi", *url).returncode == 0
    assert run_cli("datasets", "create", "cli-yes", *url).returncode == 0
    for args in (("prompts", "delete", "cli-yes", "1"), ("datasets", "delete", "cli-yes")):
        unanswered = run_cli(*args, *url, input="")
        assert unanswered.returncode == 1 and "Aborted" not in unanswered.stderr
        assert "nothing deleted; pass --yes" in unanswered.stderr
        declined = run_cli(*args, *url, input="n\n")
        assert declined.returncode == 1 and "nothing deleted" in declined.stderr
    assert client.get_prompt("cli-yes", version=1) is not None
    assert client.get_dataset("cli-yes") is not None
    for args in (("prompts", "delete", "cli-yes", "1"), ("datasets", "delete", "cli-yes")):
        done = run_cli(*args, "-y", *url)
        assert done.returncode == 0, done.stderr
    assert client.get_dataset("cli-yes") is None


def test_pricing_unknown_says_since_when_as_costs_does(collector):
    # printed "since 2026-10-30T01:14:41.712290+00:00"
    import re

    result = run_cli("pricing", "unknown", "--since", "1m", "--project", "cli-none",
                     "--url", collector.http_url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        r"No calls without a price since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d UTC\.\n", result.stdout
    ), result.stdout


def test_experiments_list_pages_like_the_other_lists(sdk, collector):
    # cut at --limit without saying so, and no --page-token to read on
    for name in ("cli-page-a", "cli-page-b"):
        spanwise.set_experiment(name)
        with spanwise.start_run():
            pass
    assert sdk.flush(30)
    url = ("--url", collector.http_url)
    first = run_cli(
        "experiments", "list", "--filter", "name LIKE 'cli-page-%'", "--limit", "1", *url
    )
    assert first.returncode == 0, first.stderr
    token = first.stdout.rsplit("more: --page-token ", 1)[1].strip()
    second = run_cli("experiments", "list", "--filter", "name LIKE 'cli-page-%'", "--limit", "1",
                     "--page-token", token, "--json", *url)  # fmt: skip
    assert second.returncode == 0, second.stderr
    names = [e["name"] for e in json.loads(second.stdout)["experiments"]]
    assert (
        len(names) == 1
        and names[0] in ("cli-page-a", "cli-page-b")
        and names[0] not in first.stdout
    )
