"""The prompt registry through the real collector: versions and aliases over the HTTP
API into chDB, loaded back by the SDK, formatted, and linked to the traces that used them."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.assessments.test_assessments import _http
from tests.support.collector import CollectorProcess


def _name(prefix: str = "prompt") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_versions_aliases_and_uris(client):
    name = _name()
    v1 = client.register_prompt(name, "Answer {{question}}.", commit_message="first")
    v2 = client.register_prompt(
        name, "Answer {{ question }} as {{brand}}.", commit_message="brand voice",
        config={"model": "gpt-4o-mini", "temperature": 0.2}, tags={"team": "support"},
        aliases=["staging"],
    )  # fmt: skip
    assert (v1.version, v2.version, v2.aliases, v2.uri) == (
        1,
        2,
        ("staging",),
        f"prompts:/{name}/2",
    )
    assert v2.variables == {"question", "brand"} and v1.variables == {"question"}

    assert client.get_prompt(name).version == 2  # the newest
    assert client.get_prompt(name, version=1).template == "Answer {{question}}."
    assert client.get_prompt(name, alias="staging").version == 2
    assert client.get_prompt(f"prompts:/{name}/1").commit_message == "first"
    assert client.get_prompt(f"prompts:/{name}@staging").config == {
        "model": "gpt-4o-mini", "temperature": 0.2,
    }  # fmt: skip
    assert client.get_prompt(name, alias="production") is None
    assert client.get_prompt(name, version=9) is None

    client.set_prompt_alias(name, "production", 1)
    client.set_prompt_alias(name, "staging", 1)  # aliases move
    assert client.get_prompt(name, version=1).aliases == ("production", "staging")
    assert client.get_prompt(name, version=2).aliases == ()
    client.delete_prompt_alias(name, "staging")
    assert client.get_prompt(name, alias="staging") is None

    listed = {p.name: p for p in client.list_prompts()}[name]
    assert (listed.latest_version, listed.version_count, dict(listed.aliases)) == (
        2, 2, {"production": 1},
    )  # fmt: skip
    assert [p.version for p in client.get_prompt_versions(name)] == [2, 1]


def test_one_alias_given_as_text_is_that_alias(client):
    name = _name()
    assert client.register_prompt(name, "Hi {{x}}", aliases="production").aliases == (
        "production",
    )  # fmt: skip
    assert client.get_prompt_versions(name)[0].aliases == ("production",)


def test_deleted_versions_are_gone_and_their_numbers_not_reused(client):
    from spanwise import SpanwiseAPIError

    name = _name()
    for text in ("a {{x}}", "b {{x}}", "c {{x}}"):
        client.register_prompt(name, text)
    client.set_prompt_alias(name, "production", 3)
    client.delete_prompt_version(name, 3)
    assert client.get_prompt(name, version=3) is None
    assert client.get_prompt(name, alias="production") is None  # pointed at v3: removed
    assert client.get_prompt(name).version == 2  # latest skips the deleted one
    assert client.register_prompt(name, "d {{x}}").version == 4
    with pytest.raises(SpanwiseAPIError) as err:
        client.set_prompt_alias(name, "production", 3)
    assert err.value.status == 404
    for version in (1, 2, 4):
        client.delete_prompt_version(name, version)
    assert client.get_prompt(name) is None and client.get_prompt_versions(name) == []
    assert name not in {p.name for p in client.list_prompts()}


def test_format_text_and_chat(client):
    from spanwise import InvalidParameterError

    name = _name()
    text = client.register_prompt(name, "Hi {{name}}, about {{ topic }}: {{name}}!")
    assert text.format(name="Ada", topic=42) == "Hi Ada, about 42: Ada!"
    with pytest.raises(InvalidParameterError, match="topic"):
        text.format(name="Ada")
    assert text.format(allow_partial=True, name="Ada") == "Hi Ada, about {{ topic }}: Ada!"

    chat = client.register_prompt(_name(), [
        {"role": "system", "content": "You answer for {{brand}}."},
        {"role": "user", "content": "{{question}}"},
    ])  # fmt: skip
    assert chat.type == "chat" and chat.variables == {"brand", "question"}
    assert chat.format(brand="Acme", question="Why?") == [
        {"role": "system", "content": "You answer for Acme."},
        {"role": "user", "content": "Why?"},
    ]
    # The stored template is not changed by formatting.
    assert client.get_prompt(chat.name).template[1] == {"role": "user", "content": "{{question}}"}


@pytest.mark.parametrize(
    "body",
    [
        {"template": "x"},
        {"name": "a/b", "template": "x"},
        {"name": "ok", "template": ""},
        {"name": "ok", "template": 3},
        {"name": "ok", "template": [{"role": "user"}]},
        {"name": "ok", "template": [{"role": "user", "content": "x", "name": "n"}]},
        {"name": "ok", "template": "x", "config": "gpt-4o"},
        {"name": "ok", "template": "x", "aliases": ["latest"]},
        {"name": "ok", "template": "x", "aliases": ["9lives"]},
        {"name": "ok", "template": "x", "labels": ["production"]},
    ],
)
def test_bad_prompt_bodies_are_refused_and_register_nothing(collector, client, body):
    name = _name("bad")
    client.register_prompt(name, "kept")
    body = {**body, "name": name} if body.get("name") == "ok" else body
    status, answer = _http(collector, "POST", "/api/v1/prompts", body)
    assert status == 400, answer
    assert answer["detail"]
    assert [p.version for p in client.get_prompt_versions(name)] == [1]


def test_alias_requests_are_checked(collector, client):
    name = _name()
    client.register_prompt(name, "x")
    for body, status in [({"version": 0}, 400), ({"version": "one"}, 400), ({}, 400),
                         ({"version": 1, "extra": 1}, 400), ({"version": 7}, 404)]:  # fmt: skip
        got, answer = _http(collector, "PUT", f"/api/v1/prompts/{name}/aliases/prod", body)
        assert got == status, (body, answer)
    got, answer = _http(collector, "PUT", f"/api/v1/prompts/{name}/aliases/latest", {"version": 1})
    assert got == 400 and "latest" in answer["detail"]
    for method, path in [("GET", f"/api/v1/prompts/{name}/aliases/prod"),
                         ("DELETE", f"/api/v1/prompts/{name}/aliases/prod"),
                         ("GET", f"/api/v1/prompts/{_name('missing')}"),
                         ("GET", f"/api/v1/prompts/{_name('missing')}/versions/latest")]:  # fmt: skip
        got, answer = _http(collector, method, path)
        assert got == 404 and "prompts list" in answer["detail"], (method, path, answer)


def test_prompts_used_in_a_trace_are_linked_to_it(sdk, client, fetch_trace):
    name = _name()
    sdk.register_prompt(name, "v1 {{q}}")
    sdk.register_prompt(name, "v2 {{q}}", aliases=["production"])
    ids = {}

    @sdk.trace(span_type="AGENT")
    def answer(question: str, alias: str) -> str:
        ids.setdefault(alias, sdk.get_current_trace_id())
        prompt = (
            sdk.load_prompt(name, alias=alias)
            if alias != "v1"
            else sdk.load_prompt(f"prompts:/{name}/1")
        )
        with sdk.start_span("render") as span:
            ids[alias + "-span"] = span.span_id
            return prompt.format(q=question)

    assert answer("why?", "production") == "v2 why?"
    assert answer("why?", "v1") == "v1 why?"
    trace = fetch_trace(ids["production"])
    assert trace.info.tags[f"prompt.{name}"] == "2"
    render = next(s for s in trace.data.spans if s.span_id == ids["production-span"])
    assert render.attributes["spanwise.prompt.name"] == name
    assert render.attributes["spanwise.prompt.version"] == "2"  # attributes are kept as text
    assert fetch_trace(ids["v1"]).info.tags[f"prompt.{name}"] == "1"

    found = client.search_traces(f"tags.`prompt.{name}` = '2'")
    assert [t.info.trace_id for t in found] == [ids["production"]]
    by_version = client.analytics(group_by=[f"tag:prompt.{name}"], level="trace", since="1h")
    counts = {row.key[f"tag:prompt.{name}"]: row.count for row in by_version.rows}
    assert {k: v for k, v in counts.items() if k} == {"1": 1, "2": 1}  # "": other traces


def test_load_prompt_caches_aliases_for_a_while_and_serves_the_last_copy_when_down(tmp_path):
    import spanwise

    with CollectorProcess(tmp_path / "data") as own:
        client = spanwise.Client(own.http_url)
        name = _name()
        client.register_prompt(name, "one", aliases=["production"])
        first = spanwise.load_prompt(name, alias="production", url=own.http_url)
        client.register_prompt(name, "two", aliases=["production"])
        # Within the TTL the alias is not asked again; without a cache it is.
        assert spanwise.load_prompt(name, alias="production", url=own.http_url) == first
        fresh = spanwise.load_prompt(name, alias="production", url=own.http_url,
                                     cache_ttl_seconds=0)  # fmt: skip
        assert fresh.template == "two"
        short = spanwise.load_prompt(name, url=own.http_url, cache_ttl_seconds=0.001)
        pinned = spanwise.load_prompt(f"prompts:/{name}/1", url=own.http_url)
    # The collector is gone: the expired "latest" and the pinned version still load.
    assert spanwise.load_prompt(name, url=own.http_url, cache_ttl_seconds=0.001) == short
    assert spanwise.load_prompt(f"prompts:/{name}/1", url=own.http_url) == pinned
    with pytest.raises(spanwise.SpanwiseAPIError) as err:
        spanwise.load_prompt(name, alias="staging", url=own.http_url)  # never loaded
    assert err.value.status == 0
    with pytest.raises(spanwise.InvalidParameterError):
        spanwise.load_prompt("prompts:/x/y/z")
    with pytest.raises(spanwise.InvalidParameterError):
        spanwise.load_prompt(name, version=1, alias="production")
    assert json.dumps(pinned.template) == '"one"'
