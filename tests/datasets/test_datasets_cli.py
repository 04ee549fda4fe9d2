"""`spanwise datasets …` run as a user runs them (subprocess): a JSONL file in, the same
records out, tables and JSON, errors that say what to do."""

from __future__ import annotations

import json

from tests.cli.test_cli import run_cli
from tests.datasets.test_datasets import _name


def test_import_list_get_export_delete(collector, client, tmp_path):
    url = ("--url", collector.http_url)
    name = _name("cli")
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"inputs": {"question": "2+2?"}, "expectations": {"answer": "4"}}\n'
        "\n"
        '{"inputs": {"question": "capital of France?"}, "expectations": {"answer": "Paris"}}\n',
        encoding="utf-8",
    )
    missing = run_cli("datasets", "import", name, str(cases), *url)
    assert missing.returncode == 1 and "--create" in missing.stderr
    assert client.get_dataset(name) is None

    imported = run_cli("datasets", "import", name, str(cases), "--create", *url)
    assert imported.returncode == 0, imported.stderr
    assert "2 record(s) added, 0 updated, 2 in all" in imported.stdout
    again = run_cli("datasets", "import", name, str(cases), *url, "--json")
    assert json.loads(again.stdout) == {"inserted": 0, "updated": 2, "record_count": 2}

    listed = run_cli("datasets", "list", *url)
    assert listed.returncode == 0 and name in listed.stdout
    as_json = json.loads(run_cli("datasets", "list", *url, "--json").stdout)
    assert [d["record_count"] for d in as_json if d["name"] == name] == [2]

    shown = run_cli("datasets", "get", name, *url)
    assert shown.returncode == 0, shown.stderr
    assert "2 record(s)" in shown.stdout and "capital of France?" in shown.stdout

    exported = run_cli("datasets", "export", name, *url)
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [(r["inputs"], r["expectations"]) for r in rows] == [
        ({"question": "2+2?"}, {"answer": "4"}),
        ({"question": "capital of France?"}, {"answer": "Paris"}),
    ]  # fmt: skip
    # What export writes, import reads: into a second dataset, the same records.
    copy = _name("cli-copy")
    (tmp_path / "out.jsonl").write_text(exported.stdout, encoding="utf-8")
    assert run_cli("datasets", "import", copy, str(tmp_path / "out.jsonl"), "--create",
                   *url).returncode == 0  # fmt: skip
    assert [r.record_id for r in client.get_dataset_records(copy)] == [r["record_id"] for r in rows]

    declined = run_cli("datasets", "delete", name, *url, input="n\n")
    assert declined.returncode == 1 and client.get_dataset(name) is not None
    gone = run_cli("datasets", "delete", name, "--yes", *url)
    assert gone.returncode == 0 and client.get_dataset(name) is None
    again = run_cli("datasets", "get", name, *url)
    assert again.returncode == 1 and again.stderr.startswith("error: HTTP 404")


def test_a_bad_line_sends_nothing(collector, client, tmp_path):
    url = ("--url", collector.http_url)
    name = _name("cli")
    client.create_dataset(name)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"inputs": {"q": 1}}\n{"question": "no inputs"}\n', encoding="utf-8")
    result = run_cli("datasets", "import", name, str(bad), *url)
    assert result.returncode == 2 and "line 2" in result.stderr and '"inputs"' in result.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"inputs": {"q": 1}}\n{"inputs": \n', encoding="utf-8")
    result = run_cli("datasets", "import", name, str(broken), *url)
    assert result.returncode == 2 and "line 2: not valid JSON" in result.stderr
    assert client.get_dataset(name).record_count == 0
    created = run_cli("datasets", "create", name, *url)
    assert created.returncode == 1 and "exists already" in created.stderr


def test_a_refused_command_with_create_leaves_no_dataset(collector, client, tmp_path):
    # --create made the dataset first, then the records or the filter were refused.
    url = ("--url", collector.http_url)
    name = _name("cli")
    refused = tmp_path / "refused.jsonl"
    refused.write_text('{"inputs": {"q": 1}, "record_id": "no spaces allowed"}\n',
                       encoding="utf-8")  # fmt: skip
    result = run_cli("datasets", "import", name, str(refused), "--create", *url)
    assert result.returncode == 1 and "record_id" in result.stderr
    assert client.get_dataset(name) is None

    bad_filter = run_cli("datasets", "add-traces", name, "--filter", "bogus.field = 1",
                         "--create", *url)  # fmt: skip
    assert bad_filter.returncode == 1 and "unknown field" in bad_filter.stderr
    nothing = run_cli("datasets", "add-traces", name, "--filter", "tags.batch = 'nope-nope'",
                      "--create", *url)  # fmt: skip
    assert nothing.returncode == 1 and "no trace matches" in nothing.stderr
    assert client.get_dataset(name) is None


def test_add_traces_makes_records_of_the_traces_a_filter_finds(sdk, collector, client):
    url = ("--url", collector.http_url)
    batch = _name("batch")
    ids = []

    @sdk.trace(span_type="AGENT")
    def support(question: str) -> str:
        sdk.update_current_trace(tags={"batch": batch})
        ids.append(sdk.get_current_trace_id())
        return "no idea"

    support("where is order 42?")
    support("refund for order 7?")
    support("hello")
    assert sdk.flush(30)
    sdk.log_expectation(ids[0], "answer", "shipped")
    name = _name("from-traces")
    flt = ("--filter", f"tags.batch = '{batch}' AND trace.text LIKE '%order%'")
    missing = run_cli("datasets", "add-traces", name, *flt, *url)
    assert missing.returncode == 1 and "--create" in missing.stderr
    added = run_cli("datasets", "add-traces", name, *flt, "--create", *url, "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) == {"traces": 2, "record_count": 2}
    records = {r.source_trace_id: r for r in client.get_dataset_records(name)}
    assert set(records) == set(ids[:2])
    assert dict(records[ids[0]].inputs) == {"question": "where is order 42?"}
    assert dict(records[ids[0]].expectations) == {"answer": "shipped"}
    none = run_cli("datasets", "add-traces", name, "--filter", "tags.batch = 'nope'", *url)
    assert none.returncode == 1 and "no trace matches" in none.stderr
