"""``spanwise.Client``: the collector's query API over HTTP/JSON (stdlib only)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .assessments import AssessmentsClientMixin
from .datasets import DatasetsClientMixin
from .exceptions import SpanwiseError
from .prompts import PromptsClientMixin
from .provider import STATE
from .runs.client import RunsClientMixin
from .trace_tags import TraceTagsClientMixin
from .types import AnalyticsResult, PagedList, Session, SessionInfo, Span, Trace

if TYPE_CHECKING:
    import urllib.error
    from collections.abc import Iterable

from .costs import CostSummary

__all__ = ["Client", "SpanwiseAPIError"]


class SpanwiseAPIError(SpanwiseError):
    """The collector answered with an error; ``status`` is the HTTP status (0: unreachable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status
        self.message = message


class Client(
    RunsClientMixin,
    AssessmentsClientMixin,
    DatasetsClientMixin,
    PromptsClientMixin,
    TraceTagsClientMixin,
):
    """Reads traces, experiments, runs and costs from a collector; logs assessments;
    keeps evaluation datasets and prompts.

    ``url`` defaults to ``configure(api_url=...)``, else ``SPANWISE_API_URL``, else the
    HTTP port (4318) on the host of ``SPANWISE_ENDPOINT``.
    """

    def __init__(self, url: str | None = None, timeout: float = 30.0) -> None:
        self.url = (url or STATE.settings.query_url).rstrip("/")
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
        import http.client
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
            data = json.dumps(body, default=_jsonable).encode()
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
        except (http.client.HTTPException, ValueError):
            # Not HTTP, or not JSON: most likely the gRPC port given for the HTTP one.
            raise SpanwiseAPIError(
                0,
                f"the answer from {self.url} is not the Spanwise query API's, which is on the "
                "collector's HTTP port (4318 by default), not its gRPC port (4317).",
            ) from None
        except OSError as err:  # connection reset or timed out while reading the answer
            raise SpanwiseAPIError(
                0,
                f"no answer from the Spanwise collector at {self.url} ({type(err).__name__}: "
                f"{err}); it may be overloaded or restarting.",
            ) from None

    # -- traces ----------------------------------------------------------------
    def get_trace(self, trace_id: str) -> Trace | None:
        """The trace with all its spans, or ``None`` if the collector has no such trace."""
        import urllib.parse

        if not isinstance(trace_id, str):  # e.g. a Trace or TraceInfo instead of its id
            raise TypeError(f"trace_id must be a str, got {type(trace_id).__name__}")
        if not trace_id:  # GET /traces/ would be the trace list
            raise SpanwiseAPIError(400, "invalid trace id '': expected 32 hexadecimal characters")
        path = f"/api/v1/traces/{urllib.parse.quote(trace_id, safe='')}"
        found = self._not_found_is_none("GET", path)
        return None if found is None else Trace.from_dict(found)

    def search_traces(
        self,
        filter_string: str | None = None,
        order_by: list[str] | str | None = None,
        max_results: int = 100,
        page_token: str | None = None,
        project: str | None = None,
        since: Any = None,
        until: Any = None,
        include_spans: bool = False,
        return_type: str = "list",
        fields: list[str] | None = None,
    ) -> Any:
        """Traces matching ``filter_string`` (newest first unless ``order_by``): up to
        ``max_results`` (past the API's 1,000 per request, read page by page).

        ``filter_string``: e.g. ``"span.model = 'gpt-4o' AND trace.cost > 0.01"`` (see
        the collector's filter language). ``since``/``until``: datetime, epoch ms, ISO text
        or relative ``"1d"``. Returns a ``PagedList`` of ``Trace`` (``.token`` pages on;
        ``trace.data.spans`` and ``trace.info.assessments`` only with
        ``include_spans=True``: without, both are empty), or with
        ``return_type="pandas"`` a DataFrame of the trace infos.
        """
        if isinstance(filter_string, int) and not isinstance(filter_string, bool):
            # The first positional argument used to be max_results.
            filter_string, max_results = None, filter_string
        if return_type not in ("list", "pandas"):
            raise ValueError("return_type must be 'list' or 'pandas'")
        traces: list[Trace] = []
        token = page_token
        while True:  # more than the API's page (1,000) is read page by page, as MLflow does
            want = max_results - len(traces) if isinstance(max_results, int) else max_results
            payload = self._request(
                "POST",
                "/api/v1/traces/search",
                body=_body(
                    filter=filter_string, order_by=_listify(order_by),
                    max_results=min(want, _PAGE) if isinstance(want, int) else want,
                    page_token=token, project=project, since=_time_param(since),
                    until=_time_param(until), include_spans=include_spans, fields=fields,
                ),
            )  # fmt: skip
            traces += [Trace.from_dict(t) for t in payload["traces"]]
            token = payload.get("next_page_token")
            if not token or not isinstance(max_results, int) or len(traces) >= max_results:
                break
        if return_type == "pandas":
            return _frame([t.info for t in traces])
        return PagedList(traces, token)

    def delete_traces(
        self,
        trace_ids: Iterable[str] | None = None,
        *,
        filter_string: str | None = None,
        since: Any = None,
        until: Any = None,
        project: str | None = None,
        max_traces: int | None = None,
        purge: bool = False,
    ) -> int:
        """Delete traces (their spans, summaries and assessments; costs and analytics no
        longer count them); returns how many were deleted.

        Either ``trace_ids``, or every trace that ``filter_string`` and/or the
        ``since``/``until`` window match (either: of ``project`` only, if given),
        e.g. ``until="30d"`` for those older than 30 days (``max_traces``: stop after that
        many; default all). Spans this process has not exported yet are sent first.

        Deleted traces are hidden at once and leave the disk when the store next merges
        their parts; ``purge=True`` starts that rewrite now, in the background.
        """
        from . import provider

        provider.flush(5.0)  # a trace that just ended may still be in the export queue
        if trace_ids is not None:
            if filter_string or since is not None or until is not None:
                raise ValueError("give either trace_ids or filter_string/since/until")
            deleted = 0
            ids = [trace_ids] if isinstance(trace_ids, str) else list(trace_ids)  # not letters
            for start in range(0, len(ids), _DELETE_BATCH):
                result = self._request(
                    "POST", "/api/v1/traces/delete",
                    body=_body(trace_ids=ids[start : start + _DELETE_BATCH], project=project),
                )  # fmt: skip
                deleted += result["deleted_traces"]
        else:
            deleted = self._delete_matching(filter_string, since, until, project, max_traces)
        if purge:
            self._request("POST", "/api/v1/traces/purge")
        return deleted

    def _delete_matching(
        self, filter_string: Any, since: Any, until: Any, project: Any, max_traces: int | None
    ) -> int:
        deleted = 0
        while max_traces is None or deleted < max_traces:
            batch = (
                _DELETE_BATCH if max_traces is None else min(_DELETE_BATCH, max_traces - deleted)
            )
            result = self._request(
                "POST", "/api/v1/traces/delete",
                body=_body(filter=filter_string, since=_time_param(since),
                           until=_time_param(until), project=project, max_traces=batch),
            )  # fmt: skip
            deleted += result["deleted_traces"]
            if not result["more"] or not result["deleted_traces"]:
                break
        return deleted

    def delete_trace(self, trace_id: str) -> bool:
        """Delete one trace; ``False`` if the collector has no such trace."""
        from . import provider

        provider.flush(5.0)
        try:
            self._request("DELETE", f"/api/v1/traces/{trace_id}")
        except SpanwiseAPIError as err:
            if err.status == 404:
                return False
            raise
        return True

    def search_spans(
        self,
        filter_string: str | None = None,
        order_by: list[str] | str | None = None,
        max_results: int = 100,
        page_token: str | None = None,
        project: str | None = None,
        since: Any = None,
        until: Any = None,
        return_type: str = "list",
        fields: list[str] | None = None,
    ) -> Any:
        """Spans matching ``filter_string`` (e.g. ``"span.type = 'LLM' AND span.model =
        'gpt-4o'"``), newest first unless ``order_by``: a ``PagedList`` of ``Span`` or,
        with ``return_type="pandas"``, a DataFrame."""
        if return_type not in ("list", "pandas"):
            raise ValueError("return_type must be 'list' or 'pandas'")
        payload = self._request(
            "POST",
            "/api/v1/spans/search",
            body=_body(
                filter=filter_string, order_by=_listify(order_by), max_results=max_results,
                page_token=page_token, project=project, since=_time_param(since),
                until=_time_param(until), fields=fields,
            ),
        )  # fmt: skip
        spans = [Span.from_dict(_span_defaults(s)) for s in payload["spans"]]
        if return_type == "pandas":
            return _frame(spans)
        return PagedList(spans, payload.get("next_page_token"))

    def list_sessions(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        page_token: str | None = None,
        project: str | None = None,
        since: Any = None,
        until: Any = None,
    ) -> PagedList:
        """Sessions with their totals, newest first (by first trace): ``SessionInfo`` items."""
        payload = self._request(
            "GET",
            "/api/v1/sessions",
            params={
                "filter": filter_string, "max_results": max_results, "page_token": page_token,
                "project": project, "since": _time_param(since), "until": _time_param(until),
            },
        )  # fmt: skip
        sessions = [SessionInfo.from_dict(s) for s in payload["sessions"]]
        return PagedList(sessions, payload.get("next_page_token"))

    def get_session(self, session_id: str, include_spans: bool = False) -> Session | None:
        """The traces of one session, oldest first, with totals; ``None`` if unknown."""
        import urllib.parse

        payload = self._not_found_is_none(
            "GET",
            f"/api/v1/sessions/{urllib.parse.quote(session_id, safe='')}",
            params={"include_spans": "true" if include_spans else None},
        )
        if payload is None:
            return None
        return Session(
            SessionInfo.from_dict(payload["session"]),
            tuple(Trace.from_dict(t) for t in payload["traces"]),
            bool(payload.get("truncated")),
        )

    def analytics(
        self,
        group_by: list[str] | tuple[str, ...] | str = (),
        metrics: list[str] | tuple[str, ...] | None = None,
        since: Any = None,
        until: Any = None,
        filter_string: str | None = None,
        level: str = "span",
        project: str | None = None,
        limit: int = 1000,
    ) -> AnalyticsResult:
        """Count, cost, tokens, latency p50/p90/p99 and error rate, grouped by any of
        ``model``, ``provider``, ``span_name``, ``span_type``, ``trace_name``, ``project``,
        ``user``, ``session``, ``tag:<key>``, ``hour``, ``day``; ``level="span"|"trace"``;
        with ``level="trace"`` also ``feedback:<name>`` (the trace's newest feedback of
        that name; "" for traces without one) and the metric ``feedback_avg:<name>``
        (its mean over the traces with a numeric or true/false value: true = 1, false =
        0; in ``row.feedback_avg[name]``)."""
        payload = self._request(
            "POST",
            "/api/v1/analytics",
            body=_body(
                group_by=_listify(group_by) or [], metrics=_listify(metrics),
                since=_time_param(since), until=_time_param(until), filter=filter_string,
                level=level, project=project, limit=limit,
            ),
        )  # fmt: skip
        return AnalyticsResult.from_dict(payload)

    # -- costs -----------------------------------------------------------------
    def cost_summary(
        self,
        group_by: list[str] | tuple[str, ...] | str = (),
        since: Any = None,
        until: Any = None,
        project: str | None = None,
    ) -> CostSummary:
        """Cost (Decimal), tokens and call counts grouped by any of ``model``, ``provider``,
        ``project``, ``day``, ``user``, ``session``, ``tag:<key>``.

        ``since``/``until``: datetime, date, epoch milliseconds, ISO string or a relative
        ``"7d"``/``"12h"`` (default: the last 7 days). A call recorded by a framework span
        and a client span counts once; calls of unknown models count in ``unpriced_calls``.
        """
        keys = [group_by] if isinstance(group_by, str) else list(group_by)
        payload = self._request(
            "GET",
            "/api/v1/costs",
            params={
                "group_by": ",".join(keys) or None,
                "since": _time_param(since),
                "until": _time_param(until),
                "project": project,
            },
        )
        return CostSummary.from_dict(payload)


_PAGE = 1_000  # traces per search request (the collector's limit)
_DELETE_BATCH = 1_000  # traces per request, by id (the collector's limit) or by filter


def _listify(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value)


def _body(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _jsonable(value: Any) -> Any:
    """What ``json`` cannot write but a user hands us as values: numpy scalars and arrays
    (``np.bool_`` from ``score > 0.5``, a DataFrame's ``np.int64``), ``Decimal`` (a
    trace's cost) — as the JSON they stand for."""
    import decimal

    if hasattr(value, "dtype") and hasattr(value, "tolist"):  # numpy, without importing it
        return value.tolist()
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"a {type(value).__name__} cannot be sent as JSON: {value!r}")


def _span_defaults(d: dict[str, Any]) -> dict[str, Any]:
    # Searches may return chosen fields only; Span needs its identity and times.
    base = {"span_id": "", "name": "", "start_time_ns": 0, "end_time_ns": 0}
    return {**base, **d}


def _frame(items: list[Any]) -> Any:
    import dataclasses

    import pandas as pd

    return pd.DataFrame.from_records([dataclasses.asdict(i) for i in items])


def _time_param(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _error_message(err: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(err.read() or b"{}")
    except ValueError:
        return err.reason or "error"
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("message") or body
        if isinstance(detail, list) and detail and all(_is_field_error(d) for d in detail):
            return "; ".join(_field_error(d) for d in detail)
        return detail if isinstance(detail, str) else json.dumps(detail)
    return str(body)


def _is_field_error(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("loc"), list) and "msg" in item


def _field_error(item: dict) -> str:
    """One of the API's 422 details (FastAPI's validation errors) as "name: what is wrong"
    (e.g. "max_results: Input should be less than or equal to 1000"), not a JSON dump."""
    loc = [str(part) for part in item["loc"]]
    where = ".".join(loc[1:] if len(loc) > 1 and loc[0] in ("body", "query", "path") else loc)
    return f"{where}: {item['msg']}" if where else str(item["msg"])
