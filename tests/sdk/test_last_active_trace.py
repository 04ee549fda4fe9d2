"""``spanwise.get_last_active_trace_id``: the trace an app call just finished, e.g. to log
a user's feedback on it (MLflow's function of that name)."""

from __future__ import annotations

import asyncio


def test_last_active_trace_is_the_newest_ended_root(sdk, client, fetch_trace):
    @sdk.trace
    def tool(x: int) -> int:
        return x + 1

    @sdk.trace
    def agent(x: int) -> int:
        return tool(x) * 2

    assert agent(1) == 4
    first = sdk.get_last_active_trace_id()
    trace = fetch_trace(first)
    assert [s.name.rsplit(".", 1)[-1] for s in trace.data.spans if s.parent_id is None] == ["agent"]

    with sdk.start_span("outer") as outer:
        tool(2)  # a child ending is not a trace ending
        assert sdk.get_last_active_trace_id() == first
    assert sdk.get_last_active_trace_id() == outer.trace_id != first

    async def main() -> int:
        return await asyncio.to_thread(agent, 5)

    assert asyncio.run(main()) == 12  # ended on another thread: still this process's last
    latest = sdk.get_last_active_trace_id()
    assert latest not in (first, outer.trace_id)
    sdk.log_feedback(latest, "helpful", True)
    assert fetch_trace(latest).info.assessments[0].value is True


def test_a_sampled_out_trace_is_not_the_last_active_one(sdk):
    @sdk.trace
    def agent() -> str:
        return "ok"

    agent()
    kept = sdk.get_last_active_trace_id()
    sdk.configure(sample_rate=0.0)
    try:
        agent()  # not exported: there would be nothing to look up
    finally:
        sdk.configure(sample_rate=1.0)
    assert sdk.get_last_active_trace_id() == kept
