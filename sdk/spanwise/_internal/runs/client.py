"""Run and experiment methods of ``spanwise.Client`` (mixed into it)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..types import PagedList, Trace, TraceData, TraceInfo
from .types import Experiment, FileInfo, Metric, Run

__all__ = ["RunsClientMixin"]


def _quote(path: str) -> str:
    import urllib.parse  # lazily, like Client: it is slow to import

    return urllib.parse.quote(path.strip("/"), safe="/")


class RunsClientMixin:
    url: str
    timeout: float
    _headers: dict[str, str]

    if TYPE_CHECKING:  # provided by Client, which mixes this class in

        def _request(self, method: str, path: str, params: dict[str, Any] | None = None,
                     body: Any = None) -> Any: ...  # fmt: skip

    def _read(self, method: str, path: str, **kwargs: Any) -> Any:
        """A read of runs or experiments, after this process's queued run events reach
        the collector (read-your-writes, as MLflow's synchronous logging gives)."""
        from .sender import SENDER

        with contextlib.suppress(Exception):  # the read goes ahead with what the collector has
            SENDER.deliver_pending(min(self.timeout, 5.0))
        return self._request(method, path, **kwargs)

    def _not_found_is_none(self, method: str, path: str, **kwargs: Any) -> Any:
        from ..client import SpanwiseAPIError

        try:
            return self._read(method, path, **kwargs)
        except SpanwiseAPIError as err:
            if err.status == 404:
                return None
            raise

    # -- experiments -------------------------------------------------------------------
    def get_experiment(self, experiment_id: str) -> Experiment | None:
        found = self._not_found_is_none("GET", f"/api/v1/experiments/{_quote(experiment_id)}")
        return Experiment.from_dict(found) if found else None

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment called ``name``, or ``None``."""
        payload = self._read("GET", "/api/v1/experiments", params={"name": name})
        found = payload["experiments"]
        return Experiment.from_dict(found[0]) if found else None

    def search_experiments(
        self,
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
    ) -> PagedList:
        """Experiments, newest first; filter on ``name`` or ``tags.<key>``."""
        payload = self._read(
            "GET",
            "/api/v1/experiments",
            params={"filter_string": filter_string or None, "order_by": list(order_by or []),
                    "max_results": max_results, "page_token": page_token},
        )  # fmt: skip
        items = [Experiment.from_dict(e) for e in payload["experiments"]]
        return PagedList(items, payload.get("next_page_token"))

    # -- runs --------------------------------------------------------------------------
    def get_run(self, run_id: str) -> Run | None:
        """The run with its params, latest metrics and tags, or ``None``."""
        found = self._not_found_is_none("GET", f"/api/v1/runs/{_quote(run_id)}")
        return Run.from_dict(found) if found else None

    def search_runs(
        self,
        experiment_ids: Sequence[str] | None = None,
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
    ) -> PagedList:
        """Runs matching an MLflow-style ``filter_string`` (all experiments if none given).

        ``order_by`` items look like ``"metrics.rmse ASC"``; ``.token`` of the result
        fetches the next page. A bad filter raises ``SpanwiseAPIError`` (HTTP 400)
        naming the position and what was expected.
        """
        if isinstance(experiment_ids, str):
            experiment_ids = [experiment_ids]
        if isinstance(order_by, str):
            order_by = [order_by]
        payload = self._read(
            "POST",
            "/api/v1/runs/search",
            body={"experiment_ids": list(experiment_ids or []), "filter_string": filter_string or "",
                  "order_by": list(order_by or []), "max_results": max_results,
                  "page_token": page_token},
        )  # fmt: skip
        return PagedList(
            [Run.from_dict(r) for r in payload["runs"]], payload.get("next_page_token")
        )

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point logged for ``key``, by step then timestamp."""
        payload = self._read(
            "GET", f"/api/v1/runs/{_quote(run_id)}/metrics/history", params={"key": key}
        )
        return [Metric.from_dict(m) for m in payload["metrics"]]

    def get_run_traces(
        self, run_id: str, max_results: int = 100, page_token: str | None = None
    ) -> PagedList:
        """Traces recorded while the run was active (``trace.info`` only), newest first.

        The other way round, ``trace.info.run_id`` names the run of a trace.
        """
        payload = self._read(
            "GET",
            f"/api/v1/runs/{_quote(run_id)}/traces",
            params={"max_results": max_results, "page_token": page_token},
        )
        traces = [Trace(TraceInfo.from_dict(t["info"]), TraceData(())) for t in payload["traces"]]
        return PagedList(traces, payload.get("next_page_token"))

    # -- artifacts ---------------------------------------------------------------------
    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """Files and directories directly under ``path`` of the run's artifacts."""
        payload = self._read(
            "GET", f"/api/v1/runs/{_quote(run_id)}/artifacts", params={"path": path or None}
        )
        return [
            FileInfo(f["path"], bool(f["is_dir"]), f.get("file_size")) for f in payload["files"]
        ]

    def download_artifacts(self, run_id: str, path: str = "", dst_path: str | None = None) -> str:
        """Download a file or a directory (recursively) of the run's artifacts; returns
        the local path. ``dst_path`` defaults to a new temporary directory."""
        import tempfile

        entries = self.list_artifacts(run_id, path or None)
        clean = (path or "").strip("/")
        if clean and not entries:  # directories only exist with files in them
            from ..client import SpanwiseAPIError

            raise SpanwiseAPIError(404, f"run {run_id} has no artifact {clean!r}")
        dst = Path(dst_path) if dst_path else Path(tempfile.mkdtemp(prefix="spanwise-artifacts-"))
        dst.mkdir(parents=True, exist_ok=True)
        if len(entries) == 1 and not entries[0].is_dir and entries[0].path == clean:
            return str(self._download_file(run_id, clean, dst / Path(clean).name))
        base = dst / Path(clean).name if clean else dst
        for entry in entries:
            if entry.is_dir:
                self.download_artifacts(run_id, entry.path, str(base))
            else:
                self._download_file(run_id, entry.path, base / Path(entry.path).name)
        return str(base)

    def _raw(self, method: str, path: str, data: Any = None,
             headers: dict[str, str] | None = None) -> Any:  # fmt: skip
        import urllib.error
        import urllib.request

        from ..client import SpanwiseAPIError, _error_message

        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                     headers={**self._headers, **(headers or {})})  # fmt: skip
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as err:
            raise SpanwiseAPIError(err.code, _error_message(err)) from None
        except urllib.error.URLError as err:
            raise SpanwiseAPIError(0, f"cannot reach the Spanwise collector at {self.url} "
                                      f"({err.reason})") from None  # fmt: skip

    def _download_file(self, run_id: str, path: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        url = f"/api/v1/runs/{_quote(run_id)}/artifacts/{_quote(path)}"
        with self._raw("GET", url) as resp, open(dest, "wb") as out:
            shutil.copyfileobj(resp, out)
        return dest

    def _upload_artifact(self, run_id: str, local: Path, dest: str) -> None:
        size = os.path.getsize(local)
        with open(local, "rb") as body:
            headers = {"content-type": "application/octet-stream", "content-length": str(size)}
            with self._raw("PUT", f"/api/v1/runs/{_quote(run_id)}/artifacts/{_quote(dest)}",
                           data=body, headers=headers):  # fmt: skip
                pass
