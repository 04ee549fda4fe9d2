"""`spanwise traces export`: the traces a search finds, whole, as JSON Lines."""

from __future__ import annotations

import json
import uuid

from tests.cli.test_cli import run_cli


def test_export_writes_whole_traces_as_json_lines(sdk, client, collector, tmp_path):
    batch = uuid.uuid4().hex[:8]
    ids = []
    for n in range(3):
        with sdk.start_span("agent", span_type="AGENT") as root:
            sdk.update_current_trace(tags={"batch": batch})
            with sdk.start_span("tool", span_type="TOOL") as tool:
                tool.set_inputs({"n": n})
        ids.append(root.trace_id)
    assert sdk.flush(30)
    client.log_feedback(ids[0], "helpful", True)

    out = tmp_path / "traces.jsonl"
    done = run_cli("traces", "export", str(out), "--filter", f"tags.batch = '{batch}'",
                   "--url", collector.http_url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 trace(s) exported" in done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [t["info"]["trace_id"] for t in lines] == ids[::-1]  # newest first
    for trace in lines:
        assert sorted(s["name"] for s in trace["spans"]) == ["agent", "tool"]
        assert trace["info"]["tags"] == {"batch": batch}
    tool_inputs = [next(s for s in t["spans"] if s["name"] == "tool")["inputs"] for t in lines]
    assert tool_inputs == [{"n": 2}, {"n": 1}, {"n": 0}]
    assert [a["name"] for a in lines[-1]["info"]["assessments"]] == ["helpful"]

    two = run_cli("traces", "export", "--filter", f"tags.batch = '{batch}'", "--max", "2",
                  "--url", collector.http_url)  # fmt: skip
    assert two.returncode == 0 and len(two.stdout.splitlines()) == 2  # stdout: the lines only

    bad = run_cli("traces", "export", "--filter", "tags.batch ===", "--url", collector.http_url)
    assert bad.returncode != 0 and bad.stdout == "" and "Traceback" not in bad.stderr
