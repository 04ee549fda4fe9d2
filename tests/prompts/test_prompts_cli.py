"""`spanwise prompts …` run as a user runs them (subprocess)."""

from __future__ import annotations

import json

from tests.cli.test_cli import run_cli
from tests.prompts.test_prompts import _name


def test_create_promote_show_and_delete(collector, client, tmp_path):
    url = ("--url", collector.http_url)
    name = _name("cli")
    made = run_cli("prompts", "create", name, "--template", "Answer {{question}}.", "-m",
                   "first", "--config", '{"model": "gpt-4o-mini"}', *url)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert f"registered prompts:/{name}/1" in made.stdout
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "system", "content": "Be {{tone}}."},
                                {"role": "user", "content": "{{question}}"}]))  # fmt: skip
    second = run_cli("prompts", "create", name, "--file", str(chat), "--alias", "staging", *url,
                     "--json")  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["version"] == 2 and json.loads(second.stdout)["type"] == "chat"

    promoted = run_cli("prompts", "alias", name, "production", "1", *url)
    assert promoted.returncode == 0 and f"{name}@production → v1" in promoted.stdout
    assert client.get_prompt(name, alias="production").version == 1

    listed = run_cli("prompts", "list", *url)
    assert listed.returncode == 0 and name in listed.stdout and "production→v1" in listed.stdout
    shown = run_cli("prompts", "get", f"prompts:/{name}@staging", *url)
    assert shown.returncode == 0, shown.stderr
    assert "v2 (chat)" in shown.stdout and "Be {{tone}}." in shown.stdout
    assert "variables: question, tone" in shown.stdout
    first = json.loads(run_cli("prompts", "get", name, "--version", "1", *url, "--json").stdout)
    assert first["template"] == "Answer {{question}}." and first["config"] == {
        "model": "gpt-4o-mini"
    }

    assert run_cli("prompts", "unalias", name, "staging", *url).returncode == 0
    assert client.get_prompt(name, alias="staging") is None
    declined = run_cli("prompts", "delete", name, "2", *url, input="n\n")
    assert declined.returncode == 1 and client.get_prompt(name, version=2) is not None
    assert run_cli("prompts", "delete", name, "2", "--yes", *url).returncode == 0
    missing = run_cli("prompts", "get", name, "--version", "2", *url)
    assert missing.returncode == 1 and missing.stderr.startswith("error: HTTP 404")

    usage = run_cli("prompts", "create", name, *url)
    assert usage.returncode == 2 and "--template" in usage.stderr
    bad = run_cli("prompts", "create", name, "--template", "x", "--config", "{nope", *url)
    assert bad.returncode == 2 and "--config" in bad.stderr
    assert [p.version for p in client.get_prompt_versions(name)] == [1]
