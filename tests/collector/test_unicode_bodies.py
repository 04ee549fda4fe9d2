"""A JSON body with a lone surrogate (``"\\ud800"``) is the client's bad input: a 400
that names it, before any write — not a 503 from the store failing to encode it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest


def _post(collector, path: str, raw: str) -> tuple[int, dict]:
    req = urllib.request.Request(collector.http_url + path, data=raw.encode(), method="POST",
                                 headers={"content-type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def trace_id(sdk):
    with sdk.start_span("unicode") as span:
        pass
    assert sdk.flush(30)
    return span.trace_id


def test_lone_surrogates_are_refused_everywhere(collector, client, trace_id):
    name = f"u-{uuid.uuid4().hex[:8]}"
    bodies = {
        f"/api/v1/traces/{trace_id}/assessments":
            '{"kind": "feedback", "name": "helpful\\ud800", "value": true}',
        f"/api/v1/traces/{trace_id}/tags": '{"tags": {"k": "\\udc00"}}',
        "/api/v1/datasets": f'{{"name": "{name}", "description": "x\\ud800"}}',
        "/api/v1/prompts": f'{{"name": "{name}", "template": "\\ud83d alone"}}',
    }  # fmt: skip
    for path, raw in bodies.items():
        status, answer = _post(collector, path, raw)
        assert status == 400, (path, answer)
        assert "lone surrogate" in answer["detail"]
    assert client.get_assessments(trace_id) == []
    assert client.get_dataset(name) is None
    assert client.get_trace(trace_id).info.tags == {}


def test_a_surrogate_pair_is_text_and_goes_through(collector, client):
    name = f"u-{uuid.uuid4().hex[:8]}"
    status, _ = _post(collector, "/api/v1/datasets",
                      f'{{"name": "{name}", "description": "smile \\ud83d\\ude00"}}')  # fmt: skip
    assert status == 201
    assert client.get_dataset(name).description == "smile \U0001f600"
