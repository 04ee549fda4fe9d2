"""propagate_attributes: session, user, tags and metadata for every trace a block makes."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import spanwise


@spanwise.trace(span_type="AGENT")
def _agent(question: str) -> str:
    with spanwise.start_span("tool", span_type="TOOL"):
        return spanwise.get_current_trace_id()


def test_every_trace_made_in_the_block_gets_them_and_later_ones_do_not(sdk, client):
    session = f"s-{uuid.uuid4().hex[:8]}"
    with spanwise.propagate_attributes(
        session_id=session, user_id="u-1", tags={"env": "prod"}, metadata={"tier": "gold"}
    ):
        first = _agent("a")
        with spanwise.propagate_attributes(tags={"team": "search"}, metadata={"tier": "free"}):
            second = _agent("b")

        async def in_a_task() -> str:
            return _agent("c")

        third = asyncio.run(in_a_task())  # tasks start from the block's context
    after = _agent("d")
    assert sdk.flush(30)

    infos = {t: client.get_trace(t).info for t in (first, second, third, after)}
    for tid in (first, third):
        info = infos[tid]
        assert (info.session_id, info.user_id) == (session, "u-1")
        assert (info.tags, info.metadata) == ({"env": "prod"}, {"tier": "gold"})
    inner = infos[second]  # nested: merged, the inner value wins per key
    assert (inner.session_id, inner.tags, inner.metadata) == (
        session, {"env": "prod", "team": "search"}, {"tier": "free"}
    )  # fmt: skip
    assert (infos[after].session_id, infos[after].tags) == (None, {})
    listed = client.search_traces(f"trace.session_id = '{session}'", project="tests")
    assert sorted(t.info.trace_id for t in listed) == sorted([first, second, third])


def test_the_span_current_at_the_start_gets_them_and_update_current_trace_wins(sdk, client):
    with (
        spanwise.start_span("request", span_type="CHAIN") as root,
        spanwise.propagate_attributes(user_id="u-2", tags={"stage": "draft"}),
        spanwise.start_span("step"),  # gets "draft" at its start
    ):
        spanwise.update_current_trace(tags={"stage": "final"})  # written later: it wins
    assert sdk.flush(30)
    info = client.get_trace(root.trace_id).info
    assert (info.user_id, info.tags) == ("u-2", {"stage": "final"})


def test_bad_arguments_are_refused_before_anything_changes(sdk):
    with pytest.raises(TypeError, match="tags must be a mapping"):  # noqa: SIM117
        with spanwise.propagate_attributes(tags=["prod"]):
            pass


def test_nested_blocks_keep_the_outer_values_write_times(sdk, client):
    """The outer block's keys keep their (early) write time inside an inner block: a
    later update_current_trace in a child still beats them on the enclosing span."""
    with (
        spanwise.propagate_attributes(tags={"stage": "draft"}),
        spanwise.propagate_attributes(tags={"team": "a"}),
        spanwise.start_span("root") as root,
        spanwise.start_span("child"),
    ):
        spanwise.update_current_trace(tags={"stage": "final"})
    assert sdk.flush(30)
    assert client.get_trace(root.trace_id).info.tags == {"stage": "final", "team": "a"}
