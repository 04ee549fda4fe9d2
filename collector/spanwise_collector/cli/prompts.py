"""``spanwise prompts list|get|create|alias|unalias|delete``: the prompt registry."""

from __future__ import annotations

import json
from typing import IO, Any

import click

from .common import api_errors, json_option, key_values, print_json, url_option, when
from .confirm import confirm, yes_option


@click.group()
def prompts() -> None:
    """Prompt templates in numbered versions, with aliases (production, staging, …).

    Apps load them with `spanwise.load_prompt("NAME", alias="production")` and fill them
    with `prompt.format(var=...)`; traces that used a version carry the tag
    `prompt.NAME` = version (`spanwise traces search "tags.\\`prompt.NAME\\` = '3'"`).
    """


def _prompt_dict(prompt: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(prompt)


@prompts.command("list")
@url_option
@json_option
@api_errors
def list_cmd(url: str, as_json: bool) -> None:
    """Every prompt: its newest version, how many versions, its aliases."""
    from spanwise import Client

    found = Client(url).list_prompts()
    if as_json:
        print_json([_prompt_dict(p) for p in found])
        return
    from .render import print_table, rows_table

    rows = [{"name": p.name, "latest": p.latest_version, "versions": p.version_count,
             "aliases": ", ".join(f"{a}→v{v}" for a, v in p.aliases.items()),
             "message": p.commit_message, "updated": when(p.last_update_time_ms)}
            for p in found]  # fmt: skip
    columns = ["name", "latest", "versions", "aliases", "message", "updated"]
    print_table(rows_table(rows, columns, title=f"{len(rows)} prompt(s)"), ("message", "updated"))


@prompts.command("get")
@click.argument("name")
@click.option("--version", "version", type=int, default=None, help="This version (default newest).")
@click.option("--alias", default=None, help="The version this alias points at.")
@url_option
@json_option
@api_errors
def get_cmd(name: str, version: int | None, alias: str | None, url: str, as_json: bool) -> None:
    """Show one version of prompt NAME (NAME may be a prompts:/NAME/3 or prompts:/NAME@alias URI)."""
    from spanwise import Client, SpanwiseAPIError

    if version is not None and alias is not None:
        raise click.UsageError("give --version or --alias, not both")
    found = Client(url).get_prompt(name, version=version, alias=alias)
    if found is None:
        raise SpanwiseAPIError(404, f"no such prompt version: {name} (spanwise prompts list)")
    if as_json:
        print_json(_prompt_dict(found))
        return
    from rich.text import Text

    from .render import console

    out = console()
    head = Text.assemble((found.name, "bold"), f" v{found.version} ({found.type})")
    if found.aliases:
        head.append("  aliases: " + ", ".join(found.aliases))
    out.print(head, highlight=False)
    if found.commit_message:
        out.print(found.commit_message, highlight=False)
    if found.config:
        out.print("config: " + json.dumps(dict(found.config)), highlight=False)
    if found.variables:
        out.print("variables: " + ", ".join(sorted(found.variables)), highlight=False)
    out.rule()
    if found.type == "chat":
        for message in found.template:
            out.print(Text(f"{message['role']}", style="bold"), ": ", sep="", end="")
            out.print(message["content"], highlight=False)
    else:
        out.print(found.template, highlight=False)


@prompts.command("create")
@click.argument("name")
@click.option("--template", "text", default=None, help="The template text ({{variables}}).")
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), default=None,
              help="Read the template from FILE (- for stdin); a JSON list of "
                   '{"role", "content"} messages makes a chat prompt.')  # fmt: skip
@click.option("--message", "-m", "commit_message", default=None, help="What changed.")
@click.option("--alias", "aliases", multiple=True, help="Point this alias here. Repeatable.")
@click.option(
    "--config", "config", default=None, help='JSON kept with it, e.g. {"model": "gpt-4o"}.'
)
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@url_option
@json_option
@api_errors
def create_cmd(name: str, text: str | None, file: IO[str] | None, commit_message: str | None,
               aliases: tuple[str, ...], config: str | None, tags: tuple[str, ...], url: str,
               as_json: bool) -> None:  # fmt: skip
    """Register a new version of prompt NAME (version 1 if it is new)."""
    from spanwise import Client

    if (text is None) == (file is None):
        raise click.UsageError("give the template with --template TEXT or --file FILE")
    template: Any = text if text is not None else file.read()  # type: ignore[union-attr]
    if file is not None and template.lstrip().startswith("["):
        try:
            template = json.loads(template)
        except ValueError as err:
            raise click.UsageError(f"--file: a chat template must be a JSON list: {err}") from None
    parsed_config = None
    if config is not None:
        try:
            parsed_config = json.loads(config)
        except ValueError as err:
            raise click.BadParameter(f"not JSON: {err}", param_hint="--config") from None
    made = Client(url).register_prompt(
        name, template, commit_message=commit_message, tags=key_values(tags, "--tag"), config=parsed_config,
        aliases=list(aliases) or None,
    )  # fmt: skip
    if as_json:
        print_json(_prompt_dict(made))
    else:
        suffix = f" ({', '.join(made.aliases)})" if made.aliases else ""
        click.echo(f"registered {made.uri}{suffix}")


@prompts.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version", type=int)
@url_option
@api_errors
def alias_cmd(name: str, alias: str, version: int, url: str) -> None:
    """Point ALIAS of prompt NAME at VERSION (e.g. promote v3 to production)."""
    from spanwise import Client

    Client(url).set_prompt_alias(name, alias, version)
    click.echo(f"{name}@{alias} → v{version}")


@prompts.command("unalias")
@click.argument("name")
@click.argument("alias")
@url_option
@api_errors
def unalias_cmd(name: str, alias: str, url: str) -> None:
    """Remove ALIAS from prompt NAME."""
    from spanwise import Client

    Client(url).delete_prompt_alias(name, alias)
    click.echo(f"removed {name}@{alias}")


@prompts.command("delete")
@click.argument("name")
@click.argument("version", type=int)
@yes_option
@url_option
@api_errors
def delete_cmd(name: str, version: int, yes: bool, url: str) -> None:
    """Delete VERSION of prompt NAME (and the aliases pointing at it)."""
    from spanwise import Client

    if not yes:
        confirm(f"Delete {name} v{version}?")
    Client(url).delete_prompt_version(name, version)
    click.echo(f"deleted {name} v{version}")
