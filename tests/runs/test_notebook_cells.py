"""Runs across IPython cells, as a notebook user runs them: a cell that awaits (IPython
runs it as an asyncio task, in a copy of the context) keeps what it did to the runs."""

from __future__ import annotations

import uuid

import pytest
import spanwise

IPython = pytest.importorskip("IPython")
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402


@pytest.fixture
def shell(sdk):
    shell = InteractiveShell.instance()
    yield shell
    shell.run_cell("import spanwise\nwhile spanwise.active_run(): spanwise.end_run()")
    InteractiveShell.clear_instance()


def _cell(shell, code: str) -> None:
    result = shell.run_cell(code)
    result.raise_error()


def test_a_run_started_in_a_cell_that_awaits_is_active_in_the_next_cells(shell, client):
    experiment = f"nb-{uuid.uuid4().hex[:8]}"
    _cell(shell, "import asyncio, spanwise")
    _cell(shell, f"run = spanwise.start_run(experiment_name={experiment!r})\n"
                 "await asyncio.sleep(0)")  # fmt: skip
    _cell(shell, "spanwise.log_metric('loss', 0.5)\nactive = spanwise.active_run()")
    ns = shell.user_ns
    assert ns["active"] is not None and ns["active"].run_id == ns["run"].info.run_id
    # Ended in a cell that awaits: no longer active after it.
    _cell(shell, "await asyncio.sleep(0)\nspanwise.end_run()")
    _cell(shell, "after = spanwise.active_run()")
    assert ns["after"] is None
    assert spanwise.flush(30)
    runs = client.search_runs([ns["run"].info.experiment_id])
    assert [r.info.run_id for r in runs] == [ns["run"].info.run_id]  # one run, not two
    assert runs[0].data.metrics == {"loss": 0.5}
