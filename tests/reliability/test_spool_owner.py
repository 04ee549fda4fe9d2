"""One collector per spool directory: a second one refuses to start, clearly."""

from __future__ import annotations

import pytest
import spanwise

from tests.reliability._otlp import new_trace_id, stub, trace_request
from tests.support.collector import CollectorProcess
from tests.support.waiting import wait_for


def test_second_collector_on_a_spool_in_use_refuses_and_the_first_loses_nothing(tmp_path):
    """Two collectors on one --spool-dir (own stores) replayed and deleted each other's
    acknowledged batches: most of one collector's acknowledged traces were lost."""
    spool = tmp_path / "spool"
    with CollectorProcess(tmp_path / "a", "--spool-dir", str(spool)) as first:
        second = CollectorProcess(tmp_path / "b", "--spool-dir", str(spool))
        try:
            with pytest.raises(RuntimeError):
                second.start()
        finally:
            second.stop()  # when it did start
        assert second.proc is not None and second.proc.returncode == 2
        assert wait_for(lambda: "in use by another collector" in "".join(second.stderr_lines))
        assert "--spool-dir" in "".join(second.stderr_lines)

        export, channel = stub(first.grpc_target)
        ids = [new_trace_id() for _ in range(20)]
        try:
            for trace_id in ids:
                export.Export(trace_request(trace_id, 3), timeout=30)
        finally:
            channel.close()
        client = spanwise.Client(first.http_url)
        assert all(client.get_trace(t.hex()).info.span_count == 3 for t in ids)
    with CollectorProcess(tmp_path / "b", "--spool-dir", str(spool)):
        pass  # free again once the first stopped


def test_spool_dir_that_is_a_file_is_a_one_line_error(tmp_path):
    spool = tmp_path / "not-a-dir"
    spool.write_text("")
    proc = CollectorProcess(tmp_path / "store", "--spool-dir", str(spool))
    with pytest.raises(RuntimeError):
        proc.start()
    assert proc.proc is not None and proc.proc.returncode == 2
    assert wait_for(lambda: "cannot use the spool directory" in "".join(proc.stderr_lines))
    assert "Traceback" not in "".join(proc.stderr_lines)
