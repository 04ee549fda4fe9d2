"""``spanwise.Client``: the collector's query API over HTTP/JSON (stdlib only)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .exceptions import SpanwiseError
from .provider import STATE
from .runs.client import RunsClientMixin
from .types import PagedList, Span, Trace, TraceData, TraceInfo

if TYPE_CHECKING:
    import urllib.error

__all__ = ["Client", "SpanwiseAPIError"]


class SpanwiseAPIError(SpanwiseError):
    """The collector answered with an error; ``status`` is the HTTP status (0: unreachable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status
        self.message = message


class Client(RunsClientMixin):
    """Reads traces, experiments and runs (and, in later modules, costs) from a collector.

    ``url`` defaults to ``SPANWISE_API_URL``, else the HTTP port (4318) on the host
    of ``SPANWISE_ENDPOINT``.
    """

    def __init__(self, url: str | None = None, timeout: float = 30.0) -> None:
        self.url = (url or STATE.settings.api_url).rstrip("/")
        self.timeout = timeout
        self._headers = {"accept": "application/json"}
        if STATE.settings.api_key:
            self._headers["authorization"] = f"Bearer {STATE.settings.api_key}"

    # -- transport -------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        # urllib is imported on first use: it costs ~20 ms of `import spanwise`.
        import urllib.error
        import urllib.parse
        import urllib.request

        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = f"{self.url}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        data = None
        headers = dict(self._headers)
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            raise SpanwiseAPIError(err.code, _error_message(err)) from None
        except urllib.error.URLError as err:
            raise SpanwiseAPIError(
                0,
                f"cannot reach the Spanwise collector at {self.url} ({err.reason}); "
                "is `spanwise collector` running? Set SPANWISE_API_URL if it runs elsewhere.",
            ) from None

    # -- traces ----------------------------------------------------------------
    def get_trace(self, trace_id: str) -> Trace | None:
        """The trace with all its spans, or ``None`` if the collector has no such trace."""
        try:
            return Trace.from_dict(self._request("GET", f"/api/v1/traces/{trace_id}"))
        except SpanwiseAPIError as err:
            if err.status == 404:
                return None
            raise

    def search_traces(
        self,
        max_results: int = 100,
        page_token: str | None = None,
        project: str | None = None,
        include_spans: bool = False,
    ) -> PagedList:
        """Most recent traces first, as ``Trace`` objects; ``.token`` pages on.

        ``trace.data.spans`` is filled only with ``include_spans=True`` (one more query).
        """
        payload = self._request(
            "GET",
            "/api/v1/traces",
            params={
                "limit": max_results,
                "page_token": page_token,
                "project": project,
                "include_spans": "true" if include_spans else None,
            },
        )
        traces = [
            Trace(
                TraceInfo.from_dict(t["info"]),
                TraceData(tuple(Span.from_dict(s) for s in t.get("spans") or ())),
            )
            for t in payload["traces"]
        ]
        return PagedList(traces, payload.get("next_page_token"))


def _error_message(err: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(err.read() or b"{}")
    except ValueError:
        return err.reason or "error"
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("message") or body
        return detail if isinstance(detail, str) else json.dumps(detail)
    return str(body)
