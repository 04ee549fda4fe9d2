"""The known dataset of tests/search, ingested once per session into its own project."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

import pytest

from tests.search.dataset import HOUR_NS, S, base_ns, build, llm, new_trace_id, send

ATTR_TEMP = "gen_ai.request.temperature"


def _traces() -> dict[str, tuple[S, dict, int]]:
    """name -> (root span, trace attributes on the root, start offset in ms)."""

    def root(name: str, children: list[S], error: bool = False, inputs: str = "",
             outputs: str = "", duration: float = 1000) -> S:  # fmt: skip
        attrs = {}
        if inputs:
            attrs["spanwise.inputs"] = inputs
        if outputs:
            attrs["spanwise.outputs"] = outputs
        return S(name, "AGENT", 0, duration, error, attrs, children)

    return {
        "t1": (root("checkout", [llm("gpt-4o", "openai", 1000, 200, start_ms=10, duration_ms=900,
                                     attrs={ATTR_TEMP: 0.2})],
                    inputs='"Please REFUND my order 100%"', outputs='"ok"', duration=2000),
               {"session.id": "s1", "user.id": "alice", "spanwise.trace.tags.env": "prod",
                "spanwise.trace.metadata.version": "1"}, 0),
        "t2": (root("checkout", [llm("claude-3-5-sonnet-20241022", "anthropic", 500, 100,
                                     start_ms=5, duration_ms=400),
                                 S("lookup", "TOOL", 450, 50, error=True)],
                    error=True, inputs='"where is my parcel"', duration=500),
               {"session.id": "s1", "user.id": "alice", "spanwise.trace.tags.env": "staging"},
               60_000),
        "t3": (root("search", [llm("gpt-4o-mini", "openai", 100, 50, start_ms=1, duration_ms=100,
                                   attrs={ATTR_TEMP: 0.9})],
                    outputs='"no refunds_here"', duration=150),
               {"session.id": "s2", "user.id": "bob", "spanwise.trace.tags.env": "prod",
                "spanwise.trace.tags.team": "a"}, 120_000),
        "t4": (root("search", [llm("my-local-model", "local", 10, 10, start_ms=1, duration_ms=30)],
                    duration=40), {}, 180_000),
        "t5": (root("chat", [S("retrieve", "RETRIEVER", 1, 20)], duration=30),
               {"session.id": "s2", "user.id": "bob", "spanwise.trace.metadata.version": "2"},
               240_000),
    }  # fmt: skip


@dataclass
class Dataset:
    project: str
    ids: dict[str, str]  # t1.. -> trace id
    base_ns: int
    http_url: str

    def sid(self, name: str) -> str:
        return f"{self.project}-{name}"

    def names(self, trace_ids) -> set[str]:
        back = {v: k for k, v in self.ids.items()}
        return {back[t] for t in trace_ids if t in back}


def ingest(collector, project: str, start_ns: int) -> dict[str, str]:
    """Send the traces; session ids become "<project>-s1" (sessions are not per project)."""
    ids = {}
    for name, (root, trace_attrs, offset_ms) in _traces().items():
        root.attrs.update(trace_attrs)
        if "session.id" in root.attrs:
            root.attrs["session.id"] = f"{project}-{root.attrs['session.id']}"
        trace_id = new_trace_id()
        ids[name] = trace_id
        send(collector.grpc_target, project, build(trace_id, root, start_ns + offset_ms * 10**6))
    return ids


@pytest.fixture(scope="session")
def dataset(collector) -> Dataset:
    project = f"search-{uuid.uuid4().hex[:8]}"
    start = base_ns()
    ids = ingest(collector, project, start)
    return Dataset(project, ids, start, collector.http_url)


def call(url: str, method: str, path: str, body: object = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{url}{path}", data=data, method=method,
                                 headers={"content-type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, {"raw": raw.decode(errors="replace")}


__all__ = ["HOUR_NS", "Dataset", "call", "ingest"]
