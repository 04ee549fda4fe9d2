"""The three timed query operations, per system, with varying parameters.

- by_id: one trace with all its spans, a random trace id each call.
- search: newest 100 traces (Phoenix: spans) with an LLM call of model X costing more
  than Y (MLflow: no cost filter) in the last day; X, Y and the window move each call.
- rollup: calls, cost and tokens by model and day over the last 7 days (window start
  moves by a second each call, so the query condition cache cannot answer).

Every call has a timeout; a system whose call times out gets no further calls of that
operation and is reported as "> timeout".
"""

from __future__ import annotations

import http.client
import json
import random
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.bench.harness import Variant, run_once
from tests.bench.peer_servers import graphql
from tests.bench.tracegen import MODELS, Corpus

__all__ = ["OPS", "Timings", "mlflow_ops", "phoenix_ops", "spanwise_ops"]

OPS = ("by_id", "search", "rollup")
DAY_MS = 86_400_000
_COSTS = (0.001, 0.002, 0.005, 0.01, 0.02)


@dataclass(frozen=True)
class Timings:
    ms: tuple[float, ...]
    timeout: bool = False
    error: str = ""
    found: int = 0  # results returned (sanity: a query that finds nothing is suspicious)


def _params(corpus: Corpus, traces: int, calls: int, rerun: int = 0) -> dict[str, list[Any]]:
    """Parameters of each call; ``rerun`` k > 0 gives the k-th set of new ones (a rerun of
    the same calls would be answered by the query condition cache)."""
    rng = random.Random(99 + rerun)
    now_ms = corpus.now_ns // 1_000_000
    calls_i = range(rerun * calls, (rerun + 1) * calls)
    return {
        "by_id": [corpus.trace_id(rng.randrange(traces)) for _ in range(calls)],
        "search": [
            (MODELS[i % len(MODELS)][1], _COSTS[i % len(_COSTS)], now_ms - DAY_MS + i * 1000)
            for i in calls_i
        ],
        "rollup": [(now_ms - 7 * DAY_MS + i * 1000, now_ms + 60_000) for i in calls_i],
    }


class _Http:
    """A new connection per call, like `spanwise.Client` (urllib) does; every system is
    timed the same way. (On a kept-alive connection the collector's HTTP server answers
    ~40 ms late — a delayed-ACK stall noted in RESULTS.md — which would hide the query.)"""

    def __init__(self, url: str, timeout: float) -> None:
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout = u.hostname or "127.0.0.1", u.port or 80, timeout

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        if resp.status >= 400:
            raise RuntimeError(f"HTTP {resp.status} {path}: {raw[:200]!r}")
        return json.loads(raw)


def _time(fn: Callable[[Any], int], args: list[Any], timeout: float) -> Timings:
    ms: list[float] = []
    found = 0
    for arg in args:
        began = time.perf_counter()
        try:
            found += fn(arg)
        except TimeoutError:
            return Timings(tuple(ms), timeout=True, found=found)
        except Exception as exc:
            if time.perf_counter() - began >= timeout * 0.95:
                return Timings(tuple(ms), timeout=True, found=found)
            return Timings(tuple(ms), error=f"{type(exc).__name__}: {exc}"[:200], found=found)
        ms.append((time.perf_counter() - began) * 1000)
    return Timings(tuple(ms), found=found)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()


def spanwise_ops(url: str, corpus: Corpus, traces: int, calls: int, timeout: float,
                 rerun: int = 0) -> dict[str, Timings]:  # fmt: skip
    """Through the collector's HTTP API (what `spanwise.Client` and the CLI call)."""
    http = _Http(url, timeout)
    p = _params(corpus, traces, calls, rerun)

    def by_id(tid: str) -> int:
        return len(http.call("GET", f"/api/v1/traces/{tid}")["spans"])

    def search(arg: tuple[str, float, int]) -> int:
        model, cost, since = arg
        body = {"filter": f"span.model = '{model}' AND span.cost > {cost}",
                "since": str(since), "max_results": 100}  # fmt: skip
        return len(http.call("POST", "/api/v1/traces/search", body)["traces"])

    def rollup(arg: tuple[int, int]) -> int:
        since, until = arg
        body = {"group_by": ["day", "model"], "since": str(since), "until": str(until),
                "metrics": ["count", "cost", "input_tokens", "output_tokens"]}  # fmt: skip
        return len(http.call("POST", "/api/v1/analytics", body)["rows"])

    fns = {"by_id": by_id, "search": search, "rollup": rollup}
    return {op: _time(fns[op], p[op], timeout) for op in OPS}


def phoenix_ops(url: str, corpus: Corpus, traces: int, calls: int, timeout: float,
                ) -> dict[str, Timings]:  # fmt: skip
    """REST for one trace's spans (what its client's get_spans calls), GraphQL (what its
    UI calls) for the filtered span page and the per-model cost summary."""
    http = _Http(url, timeout)
    p = _params(corpus, traces, calls)
    projects = graphql(url, "{ projects { edges { node { id name } } } }", {}, timeout)
    project = next(e["node"]["id"] for e in projects["projects"]["edges"]
                   if e["node"]["name"] == "default")  # fmt: skip

    def by_id(tid: str) -> int:
        q = urllib.parse.urlencode({"trace_id": tid, "limit": 1000})
        return len(http.call("GET", f"/v1/projects/default/spans?{q}")["data"])

    search_q = """query($id: ID!, $cond: String!, $start: DateTime!) { node(id: $id) {
      ... on Project { spans(first: 100, sort: {col: startTime, dir: desc},
        timeRange: {start: $start}, filterCondition: $cond) {
          edges { node { spanId name startTime } } } } } }"""

    def search(arg: tuple[str, float, int]) -> int:
        model, cost, since = arg
        cond = f"llm.model_name == '{model}' and total_cost > {cost}"
        body = {"query": search_q, "variables": {"id": project, "cond": cond, "start": _iso(since)}}
        out = http.call("POST", "/graphql", body)
        if out.get("errors"):
            raise RuntimeError(out["errors"][0].get("message"))
        return len(out["data"]["node"]["spans"]["edges"])

    # No model × day aggregate in Phoenix's API: one per-model cost summary per day.
    rollup_q = """query($id: ID!, $start: DateTime!, $end: DateTime!) { node(id: $id) {
      ... on Project { topModelsByCost(timeRange: {start: $start, end: $end}) {
        name costSummary(projectId: $id, timeRange: {start: $start, end: $end}) {
          total { cost tokens } } } } } }"""

    def rollup(arg: tuple[int, int]) -> int:
        since, until = arg
        rows = 0
        for day in range(7):
            lo, hi = since + day * DAY_MS, min(until, since + (day + 1) * DAY_MS)
            variables = {"id": project, "start": _iso(lo), "end": _iso(hi)}
            out = http.call("POST", "/graphql", {"query": rollup_q, "variables": variables})
            if out.get("errors"):
                raise RuntimeError(out["errors"][0].get("message"))
            rows += len(out["data"]["node"]["topModelsByCost"])
        return rows

    fns = {"by_id": by_id, "search": search, "rollup": rollup}
    return {op: _time(fns[op], p[op], timeout) for op in OPS}


def mlflow_ops(python: Any, url: str, experiment: str, corpus: Corpus, traces: int, calls: int,
               timeout: float, restart: Callable[[], tuple[str, str]]) -> dict[str, Timings]:  # fmt: skip
    """Through MLflow's own client (workload in its venv): get_trace, search_traces,
    query_trace_metrics. After a timeout the server is restarted on the same store."""
    p = _params(corpus, traces, calls)
    args = {"by_id": p["by_id"], "search": [(m, since) for m, _, since in p["search"]],
            "rollup": p["rollup"]}  # fmt: skip
    out: dict[str, Timings] = {}
    for op in OPS:
        env = {"BENCH_URL": url, "BENCH_EXPERIMENT": experiment, "BENCH_OP": op,
               "BENCH_ARGS": json.dumps(args[op]), "BENCH_TIMEOUT": str(timeout),
               "MLFLOW_MODEL_CATALOG_URI": ""}  # fmt: skip
        v = Variant(name=f"mlflow-{op}", python=python, module="tests.bench.workloads.query_mlflow",
                    env=env)  # fmt: skip
        try:
            res = run_once(v, timeout=timeout * (calls + 1) + 120)
        except subprocess.TimeoutExpired:
            res = {"ms": [], "timeout": True}
        t = Timings(tuple(res.get("ms", ())), timeout=bool(res.get("timeout")),
                    error=res.get("error", ""), found=int(res.get("found", 0)))  # fmt: skip
        out[op] = t
        if t.timeout:
            url, experiment = restart()
    return out
