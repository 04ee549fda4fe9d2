"""A trace's tags and metadata set from several spans: each key keeps its latest write
(as MLflow and Langfuse update a trace), not the greatest value; edits still win."""

from __future__ import annotations

import spanwise


def _found(client, tid: str, condition: str) -> bool:
    hits = client.search_traces(filter_string=f"trace.id = '{tid}' AND {condition}")
    return [t.info.trace_id for t in hits] == [tid]


def test_each_key_keeps_its_latest_write_across_spans(sdk, client):
    @spanwise.trace(span_type="TOOL")
    def tool() -> None:
        # Later than the agent's first write, inside a span that ends first.
        spanwise.update_current_trace(tags={"status": "done"}, metadata={"phase": "b"})
        spanwise.update_current_trace(tags={"step": "tool"})

    @spanwise.trace(span_type="AGENT")
    def agent() -> str:
        spanwise.update_current_trace(tags={"status": "started"}, metadata={"phase": "a"})
        tool()
        spanwise.update_current_trace(tags={"step": "answer"})  # after the tool's
        return spanwise.get_current_trace_id()

    tid = agent()
    assert sdk.flush(30)
    expected_tags = {"status": "done", "step": "answer"}  # "started" and "tool" sort after
    trace = client.get_trace(tid)
    assert (trace.info.tags, trace.info.metadata) == (expected_tags, {"phase": "b"})
    listed = client.search_traces(filter_string=f"trace.id = '{tid}'")[0].info
    assert (listed.tags, listed.metadata) == (expected_tags, {"phase": "b"})
    assert _found(client, tid, "tags.status = 'done' AND tags.step = 'answer'")
    assert _found(client, tid, "metadata.phase = 'b'")
    assert not _found(client, tid, "tags.status = 'started'")

    client.set_trace_tag(tid, "status", "reviewed")  # an edit beats any span's write
    assert client.get_trace(tid).info.tags["status"] == "reviewed"
    assert _found(client, tid, "tags.status = 'reviewed'")


def test_a_hundred_metadata_keys_all_arrive(sdk, client):
    """The write times ride in one attribute: a span's attribute limit (128) is not spent
    on them."""

    @spanwise.trace
    def app() -> str:
        spanwise.update_current_trace(metadata={f"k{i}": str(i) for i in range(100)})
        spanwise.update_current_trace(tags={"late": "yes"})  # merged, not overwriting
        return spanwise.get_current_trace_id()

    tid = app()
    assert sdk.flush(30)
    info = client.get_trace(tid).info
    assert info.metadata == {f"k{i}": str(i) for i in range(100)} and info.tags == {"late": "yes"}
