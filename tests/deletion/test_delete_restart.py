"""A collector that dies in the middle of a deletion (after the journal, before the
spans) finishes it when it starts again: the traces are gone, the others untouched."""

from __future__ import annotations

import subprocess
import sys
import time

import spanwise

from tests.support.collector import CollectorProcess, source_env

# Opens the stopped collector's store and deletes the traces given, but the process dies
# at the DELETE of the spans: the journal and the summaries are done, the spans are not.
_CUT_SHORT = """
import os, sys
from spanwise_collector.deletion import delete_traces
from spanwise_collector.store import open_store

store = open_store(sys.argv[1])
delete_rows = store.delete_rows

def dying(table, where, parameters):
    if table == "otel_traces":
        os._exit(9)
    delete_rows(table, where, parameters)

store.delete_rows = dying
delete_traces(store, sys.argv[2:])
"""


def test_a_deletion_cut_short_is_finished_at_start(tmp_path, sdk):
    store = tmp_path / "store"
    with CollectorProcess(store) as first:
        spanwise.configure(endpoint=first.grpc_endpoint, project="restart")
        ids = []
        for _ in range(3):
            with spanwise.start_span("agent", span_type="AGENT") as root:
                ids.append(root.trace_id)
                with spanwise.start_span("tool", span_type="TOOL"):
                    pass
        assert spanwise.flush(30)
        client = spanwise.Client(first.http_url)
        assert all(client.get_trace(t) is not None for t in ids)

    cut = subprocess.run([sys.executable, "-c", _CUT_SHORT, str(store), *ids[:2]],
                         capture_output=True, text=True, timeout=120, env=source_env())  # fmt: skip
    assert cut.returncode == 9, cut.stderr

    with CollectorProcess(store) as second:
        client = spanwise.Client(second.http_url)
        deadline = time.monotonic() + 30
        while client.get_trace(ids[0]) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [client.get_trace(t) is None for t in ids] == [True, True, False]
        assert len(client.get_trace(ids[2]).data.spans) == 2
        assert any("finished 2 trace deletion(s)" in line for line in second.stderr_lines)
