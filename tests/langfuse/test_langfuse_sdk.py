"""A Langfuse app moved to Spanwise by its base URL alone: the real Langfuse SDK (v3+, in
its own process, as an app runs it) sends spans and scores to the collector; the traces,
their costs, trace attributes and scores read back through Spanwise's API."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from decimal import Decimal

import httpx
import pytest

from tests.fakes.openai_server import FakeOpenAI
from tests.support.collector import source_env

APP = """
import json, os, sys
from langfuse import Langfuse, observe, propagate_attributes
from langfuse.openai import OpenAI

case = sys.argv[1]
lf = Langfuse()
llm = OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="x", max_retries=0)
seen = {}


@observe(as_type="retriever")
def retrieve(question):
    return [{"text": "Paris is the capital of France."}]


@observe()
def agent(question):
    with propagate_attributes(session_id="s-" + case, user_id="u-1", tags=["prod", case],
                              metadata={"tenant": "acme"}):
        retrieve(question)
        with lf.start_as_current_observation(as_type="generation", name="draft",
                                             model="gpt-4o-mini", input=question) as gen:
            gen.update(output="Paris", usage_details={"input": 1000, "output": 200})
        reply = llm.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
        lf.score_current_trace(name="helpful", value=1, data_type="BOOLEAN",
                               comment="thumbs up")
        seen["trace_id"] = lf.get_current_trace_id()
        return reply.choices[0].message.content


agent("capital of France?")
lf.flush()
print(json.dumps(seen))
"""

# gpt-4o-mini, USD per token (the bundled price table): input, cached input, output
IN, CACHED, OUT = Decimal("0.15") / 10**6, Decimal("0.075") / 10**6, Decimal("0.60") / 10**6


def _run_app(tmp_path, collector, case: str, fake_url: str, secret: str = "sk-lf-test") -> str:
    script = tmp_path / "app.py"
    script.write_text(APP)
    env = source_env({
        "LANGFUSE_BASE_URL": collector.http_url, "LANGFUSE_PUBLIC_KEY": "pk-lf-test",
        "LANGFUSE_SECRET_KEY": secret, "FAKE_OPENAI_URL": fake_url,
        "OTEL_SDK_DISABLED": "", "LANGFUSE_TRACING_ENVIRONMENT": "staging",
    })  # fmt: skip
    done = subprocess.run([sys.executable, str(script), case], capture_output=True, text=True,
                          timeout=120, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])["trace_id"]


def _run_script(script, source: str, collector, arg: str) -> dict:
    """``source`` run with the Langfuse SDK pointed at the collector; its last JSON line."""
    script.write_text(source)
    env = source_env({"LANGFUSE_BASE_URL": collector.http_url,
                      "LANGFUSE_PUBLIC_KEY": "pk-lf-test", "LANGFUSE_SECRET_KEY": "sk-lf-test"})  # fmt: skip
    done = subprocess.run([sys.executable, str(script), arg], capture_output=True, text=True,
                          timeout=120, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_langfuse_app_traced_priced_and_scored(client, collector, tmp_path):
    case = uuid.uuid4().hex[:12]
    with FakeOpenAI() as server:
        trace_id = _run_app(tmp_path, collector, case, server.base_url)

    trace = client.get_trace(trace_id)
    assert trace is not None
    spans = {s.name: s for s in trace.data.spans}
    assert set(spans) == {"agent", "retrieve", "draft", "OpenAI-generation"}
    assert spans["agent"].parent_id is None
    assert {n: s.span_type for n, s in spans.items()} == {
        "agent": "UNKNOWN", "retrieve": "RETRIEVER", "draft": "LLM", "OpenAI-generation": "LLM",
    }  # fmt: skip
    assert spans["retrieve"].outputs == [{"text": "Paris is the capital of France."}]
    assert spans["agent"].inputs == {"args": ["capital of France?"], "kwargs": {}}

    draft = spans["draft"]
    assert (draft.model, draft.input_tokens, draft.output_tokens) == ("gpt-4o-mini", 1000, 200)
    assert draft.inputs == "capital of France?" and draft.outputs == "Paris"
    assert draft.cost == 1000 * IN + 200 * OUT
    call = spans["OpenAI-generation"]
    assert call.model.startswith("gpt-4o-mini")
    # The OpenAI usage Langfuse passes on, details included (the fake reports some of
    # each): cached input at its own rate, reasoning within the output.
    assert (call.input_tokens, call.cached_tokens, call.output_tokens, call.reasoning_tokens) == (
        3, 1, 4, 2,
    )  # fmt: skip
    assert call.cost == 2 * IN + 1 * CACHED + 4 * OUT
    assert trace.info.cost == draft.cost + call.cost

    info = trace.info
    assert (info.session_id, info.user_id) == (f"s-{case}", "u-1")
    assert info.tags == {"prod": "", case: ""}
    assert info.metadata == {"tenant": "acme"}
    found = client.search_traces(f"tags.`{case}` IS NOT NULL AND metadata.tenant = 'acme'")
    assert [t.info.trace_id for t in found] == [trace_id]

    [helpful] = [a for a in info.assessments if a.name == "helpful"]
    assert (helpful.value, helpful.rationale) == (True, "thumbs up")
    assert (helpful.source.source_type, helpful.source.source_id) == ("CODE", "langfuse")
    assert helpful.metadata["environment"] == "staging"


def test_langfuse_scores_endpoint_answers_as_langfuse_does(client, collector, sdk, fetch_trace):
    with sdk.start_span("scored") as span:
        pass
    fetch_trace(span.trace_id)
    url = f"{collector.http_url}/api/public/scores"

    refused = httpx.post(url, json=[
        {"traceId": span.trace_id, "name": "stars", "value": 4.0},
        {"sessionId": "s-1", "name": "session-level", "value": 1.0},
        {"traceId": span.trace_id, "name": "n", "value": "x", "dataType": "NUMERIC"},
        {"traceId": "cdef-1234-5678-90ab", "name": "legacy id", "value": 1.0},
    ])  # fmt: skip
    assert refused.status_code == 207  # refused for good: the SDK does not send them again
    assert refused.json()["accepted"] == 1 and refused.json()["rejected"] == 3
    assert "only scores of a trace" in refused.json()["errors"][0]["message"]

    # A trace not stored yet: nothing written, and the SDK sends it again (it retries 5xx).
    ghost = "f" * 32
    later = httpx.post(
        url,
        json=[
            {"traceId": ghost, "name": "stars", "value": 1.0},
            {"traceId": span.trace_id, "name": "twice", "value": 1.0},
        ],
    )
    assert later.status_code == 503
    ok = httpx.post(url, json={"traceId": span.trace_id, "observationId": span.span_id,
                               "name": "label", "value": "great", "dataType": "CATEGORICAL",
                               "metadata": {"reviewer": "ann", "n": 2}})  # fmt: skip
    assert ok.status_code == 202 and ok.json() == {"message": "Accepted"}

    kept = {a.name: a for a in client.get_trace(span.trace_id).info.assessments}
    assert set(kept) == {"stars", "label"}  # "twice" went with the refused batch
    assert kept["stars"].value == 4.0
    assert kept["label"].span_id == span.span_id
    assert kept["label"].metadata == {"reviewer": "ann", "n": "2"}


def test_a_langfuse_score_sent_again_or_changed_stays_one_feedback(client, collector, sdk,
                                                                   fetch_trace):  # fmt: skip
    # Langfuse upserts scores by id (its SDK gives each one): a batch re-sent after a lost
    # answer, or a user changing their thumbs with the same score id, is one score.
    with sdk.start_span("rated") as span:
        pass
    fetch_trace(span.trace_id)
    url = f"{collector.http_url}/api/public/scores"
    up = {"id": "score-1", "traceId": span.trace_id, "name": "thumbs", "value": 1.0,
          "dataType": "BOOLEAN", "comment": "good"}  # fmt: skip
    other = {"id": "score-2", "traceId": span.trace_id, "name": "stars", "value": 3.0}
    assert httpx.post(url, json=[up, other]).status_code == 202
    (first,) = [a for a in client.get_assessments(span.trace_id) if a.name == "thumbs"]
    assert httpx.post(url, json=[up, other]).status_code == 202  # the same batch again
    down = {**up, "value": 0.0, "comment": "changed my mind"}
    assert httpx.post(url, json=[down, {**other, "value": 4.0}, {**other, "value": 5.0}]
                      ).status_code == 202  # fmt: skip

    got = client.get_assessments(span.trace_id)
    assert sorted(a.name for a in got) == ["stars", "thumbs"]
    thumbs = next(a for a in got if a.name == "thumbs")
    assert (thumbs.value, thumbs.rationale) == (False, "changed my mind")
    assert thumbs.assessment_id == first.assessment_id
    assert thumbs.create_time_ms == first.create_time_ms
    assert next(a for a in got if a.name == "stars").value == 5.0  # the batch's last
    found = client.search_traces("feedback.thumbs = 'false'", project="tests")
    assert span.trace_id in [t.info.trace_id for t in found]
    # Spanwise's own API still adds one assessment per call.
    client.log_feedback(span.trace_id, "thumbs", True)
    assert len([a for a in client.get_assessments(span.trace_id) if a.name == "thumbs"]) == 2


@pytest.mark.parametrize("body", [{"not": "a list"}, "text", [1, 2]])
def test_bad_langfuse_scores_change_nothing(collector, body):
    answer = httpx.post(f"{collector.http_url}/api/public/scores", json=body)
    assert answer.status_code in (207, 400)
    if answer.status_code == 207:
        assert answer.json()["accepted"] == 0


PROMPTS_APP = """
import json, sys
from langfuse import Langfuse

name = sys.argv[1]
lf = Langfuse()
lf.create_prompt(name=name, prompt="Answer briefly: {{question}}", labels=["production"],
                 config={"model": "gpt-4o-mini"}, tags=["qa"], commit_message="first")
lf.create_prompt(name=name, prompt="Answer in one word: {{question}}", labels=[])
lf.create_prompt(name=name + "-chat", type="chat",
                 prompt=[{"role": "system", "content": "You are {{persona}}."},
                         {"role": "user", "content": "{{question}}"}])
production = lf.get_prompt(name, cache_ttl_seconds=0)
newest = lf.get_prompt(name, label="latest", cache_ttl_seconds=0)
first = lf.get_prompt(name, version=1, cache_ttl_seconds=0)
chat = lf.get_prompt(name + "-chat", label="latest", type="chat", cache_ttl_seconds=0)
print(json.dumps({
    "production": [production.version, production.compile(question="2+2?"), production.config],
    "newest": [newest.version, newest.compile(question="2+2?")],
    "first_labels": first.labels,
    "chat": chat.compile(persona="a tutor", question="2+2?"),
}))
"""


def test_langfuse_prompt_management_uses_the_registry(client, collector, tmp_path):
    name = f"lf-{uuid.uuid4().hex[:10]}"
    seen = _run_script(tmp_path / "prompts.py", PROMPTS_APP, collector, name)
    assert seen["production"] == [1, "Answer briefly: 2+2?", {"model": "gpt-4o-mini"}]
    assert seen["newest"] == [2, "Answer in one word: 2+2?"]
    assert seen["first_labels"] == ["production"]
    assert seen["chat"] == [{"role": "system", "content": "You are a tutor."},
                            {"role": "user", "content": "2+2?"}]  # fmt: skip

    # The same prompt through Spanwise's own API: one registry.
    mine = httpx.get(f"{collector.http_url}/api/v1/prompts/{name}").json()
    assert [v["version"] for v in mine["versions"]] == [2, 1]
    assert mine["aliases"] == {"production": 1}
    assert mine["versions"][1]["tags"] == {"qa": ""}
    assert mine["versions"][1]["commit_message"] == "first"


PROMOTE_APP = """
import json, sys
from langfuse import Langfuse

name = sys.argv[1]
lf = Langfuse()
lf.create_prompt(name=name, prompt="v1 {{q}}", labels=["production"])
lf.create_prompt(name=name, prompt="v2 {{q}}", labels=["staging"])
updated = lf.update_prompt(name=name, version=2, new_labels=["production", "latest"])
production = lf.get_prompt(name, cache_ttl_seconds=0)
first = lf.get_prompt(name, version=1, cache_ttl_seconds=0)
print(json.dumps({"updated": [updated.version, sorted(updated.labels)],
                  "production": [production.version, production.compile(q="x")],
                  "first_labels": first.labels}))
"""


def test_langfuse_update_prompt_promotes_a_version(client, collector, tmp_path):
    # Langfuse's way to promote a version: update_prompt(new_labels=[...]) (a PATCH).
    name = f"lf-{uuid.uuid4().hex[:10]}"
    seen = _run_script(tmp_path / "promote.py", PROMOTE_APP, collector, name)
    assert seen == {"updated": [2, ["production", "staging"]], "production": [2, "v2 x"],
                    "first_labels": []}  # fmt: skip
    assert client.get_prompt(name, alias="production").version == 2

    url = f"{collector.http_url}/api/public/v2/prompts/{name}/versions"
    assert httpx.patch(f"{url}/9", json={"newLabels": ["x"]}).status_code == 404
    for bad in ({"newLabels": "production"}, {"newLabels": ["no spaces"]}, {}):
        assert httpx.patch(f"{url}/1", json=bad).status_code == 400
    assert client.get_prompt(name, alias="production").version == 2  # nothing changed


def test_langfuse_prompt_errors(collector):
    url = f"{collector.http_url}/api/public/v2/prompts"
    missing = httpx.get(f"{url}/no-such-prompt-{uuid.uuid4().hex[:6]}")
    assert missing.status_code == 404
    placeholder = httpx.post(url, json={"name": "p", "type": "chat", "prompt": [
        {"type": "placeholder", "name": "history"}]})  # fmt: skip
    assert placeholder.status_code == 400 and "placeholders" in placeholder.text
    assert httpx.post(url, json={"name": "p", "prompt": 3}).status_code == 400


def test_a_locked_collector_takes_the_langfuse_secret_key_as_its_api_key(tmp_path):
    from tests.support.collector import CollectorProcess

    key = "sk-lf-0123456789abcdef"
    locked = CollectorProcess(tmp_path / "data", "--api-key", key)
    locked.start()
    try:
        case = uuid.uuid4().hex[:12]
        with FakeOpenAI() as server:
            kept = _run_app(tmp_path, locked, case, server.base_url, secret=key)
            lost = _run_app(tmp_path, locked, case, server.base_url, secret="sk-lf-wrong-key-123")
        auth = {"authorization": f"Bearer {key}"}

        def status(trace_id: str) -> int:
            return httpx.get(
                f"{locked.http_url}/api/v1/traces/{trace_id}", headers=auth
            ).status_code

        assert status(kept) == 200
        assert status(lost) == 404  # refused at the door: nothing stored
    finally:
        locked.stop()
