"""GET /api/v1/costs, Client.cost_summary and `spanwise costs`: grouped totals in a time range."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from click.testing import CliRunner
from spanwise_collector.cli import cli

from .spans import llm, send, span

DAY1, DAY2 = datetime(2025, 3, 1, 10, tzinfo=UTC), datetime(2025, 3, 2, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def project(collector):
    """Three traces of a fresh project: users, sessions, tags, two days, two models."""
    name = f"costs-{uuid.uuid4().hex[:8]}"
    trace = {"session.id": "s1", "user.id": "alice", "spanwise.trace.tags.team": "search"}
    t1, t2, t3 = os.urandom(16), os.urandom(16), os.urandom(16)
    root1, root3 = os.urandom(8), os.urandom(8)
    send(collector.http_url, [
        span(t1, "root", {"spanwise.span.type": "AGENT", **trace}, at=DAY1, span_id=root1),
        # gpt-4o-mini: $0.15/$0.60 → 0.15 + 0.06
        span(t1, "a", llm("gpt-4o-mini", "openai", 1_000_000, 100_000), at=DAY1, parent=root1),
        # gpt-4o: $2.50/$10 → 2.5
        span(t2, "b", llm("gpt-4o", "openai", 1_000_000, 0, **{"user.id": "bob"}), at=DAY2),
        span(t3, "root", {"spanwise.span.type": "AGENT", "spanwise.trace.tags.team": "ads"},
             at=DAY2, span_id=root3),
        span(t3, "c", llm("gpt-4o-mini", "openai", 2_000_000, 0), at=DAY2, parent=root3),
        span(t3, "d", llm("mystery-model", "acme", 5, 5), at=DAY2, parent=root3),
    ], project=name)  # fmt: skip
    return name


def test_group_by_model_and_day(client, project):
    s = client.cost_summary(group_by=["model", "day"], since="2025-03-01", until="2025-03-03",
                            project=project)  # fmt: skip
    rows = {(r.key["model"], r.key["day"]): r for r in s.rows}
    assert rows[("gpt-4o", "2025-03-02")].cost == D("2.5")
    assert rows[("gpt-4o-mini", "2025-03-01")].cost == D("0.21")
    assert rows[("gpt-4o-mini", "2025-03-02")].cost == D("0.3")
    unknown = rows[("mystery-model", "2025-03-02")]
    assert (unknown.cost, unknown.calls, unknown.unpriced_calls) == (D(0), 1, 1)
    assert s.total.cost == D("3.01") and s.total.calls == 4
    assert s.rows[0].key["model"] == "gpt-4o"  # most expensive first
    assert s.total.input_tokens == 4_000_005


def test_group_by_trace_attributes(client, project):
    kw = {"since": "2025-03-01", "until": "2025-03-03", "project": project}
    by_user = {r.key["user"]: r.cost for r in client.cost_summary(["user"], **kw).rows}
    assert by_user == {"alice": D("0.21"), "bob": D("2.5"), "": D("0.3")}
    by_tag = {r.key["tag:team"]: r.cost for r in client.cost_summary(["tag:team"], **kw).rows}
    assert by_tag == {"search": D("0.21"), "ads": D("0.3"), "": D("2.5")}
    by_session = {r.key["session"]: r.calls for r in client.cost_summary(["session"], **kw).rows}
    assert by_session == {"s1": 1, "": 3}
    (only,) = client.cost_summary(["provider", "project"], **kw).rows[:1]
    assert only.key == {"provider": "openai", "project": project}


def test_time_range_bounds(client, project):
    s = client.cost_summary([], since="2025-03-01", until="2025-03-02", project=project)
    assert s.total.cost == D("0.21") and s.total.calls == 1


@pytest.mark.parametrize(
    "query", ["group_by=model,cost", "group_by=tag:", "group_by=model,model", "since=yesterday"]
)
def test_bad_requests_are_400(collector, query):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{collector.http_url}/api/v1/costs?{query}", timeout=10)
    assert err.value.code == 400
    assert "detail" in json.loads(err.value.read())


def test_costs_cli(collector, project):
    args = ["costs", "--url", collector.http_url, "--project", project, "--since", "2025-03-01",
            "--until", "2025-03-03", "--group-by", "model,day"]  # fmt: skip
    table = CliRunner().invoke(cli, args, env={"COLUMNS": "160"})
    assert table.exit_code == 0, table.output
    assert "gpt-4o-mini" in table.output and "$2.5000" in table.output
    data = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)
    assert data["total"]["cost"] == "3.01" and data["group_by"] == ["model", "day"]
    bad = CliRunner().invoke(cli, ["costs", "--url", collector.http_url, "--group-by", "color"])
    assert bad.exit_code == 1 and "invalid group_by" in bad.output


def test_costs_table_does_not_show_unpriced_calls_as_free(collector, project):
    args = ["costs", "--url", collector.http_url, "--project", project, "--since", "2025-03-01",
            "--until", "2025-03-03"]  # fmt: skip
    table = CliRunner().invoke(cli, args, env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    mystery = next(line for line in table.output.splitlines() if "mystery-model" in line)
    # was "$0.000000", and the unpriced column the first to go on a narrow terminal
    assert "unknown" in mystery and "$0" not in mystery
    total = next(line for line in table.output.splitlines() if "total" in line)
    assert "≥ $3.0100" in total
    assert "1 call(s) without a price are not in the costs" in " ".join(table.output.split())
