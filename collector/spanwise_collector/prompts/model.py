"""What a prompt version and an alias may be: request bodies checked field by field.

A template is text with ``{{variable}}`` placeholders (``kind`` "text"), or a list of chat
messages ``{"role": ..., "content": ...}`` whose contents have them (``kind`` "chat").
``config`` is free JSON kept with the version (model, temperature, …). Bad input raises
``QueryError`` (HTTP 400) naming the field, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..query.bodies import (
    json_object,
    json_text,
    object_name,
    string_map,
    text_field,
    unknown_fields,
)
from ..query.errors import QueryError

__all__ = ["LATEST", "PromptInput", "parse_alias_target", "parse_register", "validate_alias",
           "validate_name", "validate_version"]  # fmt: skip

LATEST = "latest"  # not an alias one can set: the newest live version
MAX_TEMPLATE = 1 << 20
MAX_TEXT = 65_536
MAX_TAGS = 100
MAX_ALIASES = 20
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class PromptInput:
    name: str
    kind: str
    template: str  # the text, or the chat messages as JSON
    config_json: str
    commit_message: str
    tags: Mapping[str, str]
    aliases: tuple[str, ...]


def validate_name(name: Any) -> str:
    return object_name(name, "prompt")


def validate_alias(alias: Any) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise QueryError(
            "an alias is a letter then up to 63 letters, digits or . _ - (e.g. production)"
        )
    if alias == LATEST:
        raise QueryError("'latest' always means the newest version; choose another alias")
    return alias


def validate_version(version: Any) -> int:
    if isinstance(version, str) and version.isdigit():
        version = int(version)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version < 2**32:
        raise QueryError("version must be a positive whole number")
    return version


def _template(raw: Any) -> tuple[str, str]:
    if isinstance(raw, str):
        if not raw:
            raise QueryError("template is empty")
        if len(raw) > MAX_TEMPLATE:
            raise QueryError(f"template is longer than {MAX_TEMPLATE} characters")
        return "text", raw
    if isinstance(raw, list) and raw:
        for at, message in enumerate(raw):
            if (
                not isinstance(message, Mapping)
                or set(message) - {"role", "content"}
                or not isinstance(message.get("role"), str)
                or not message["role"]
                or not isinstance(message.get("content"), str)
            ):
                raise QueryError(
                    f'template[{at}]: a chat message is {{"role": "...", "content": "..."}}'
                )
        return "chat", json_text(raw, "template", MAX_TEMPLATE)
    raise QueryError(
        "template is required: text with {{variables}}, or a list of chat messages "
        '{"role": ..., "content": ...}'
    )


def parse_register(body: Any) -> PromptInput:
    body = json_object(body)
    unknown_fields(body, {"name", "template", "commit_message", "tags", "config", "aliases"})
    name = validate_name(body.get("name"))
    kind, template = _template(body.get("template"))
    config = body.get("config")
    if config is not None and not isinstance(config, Mapping):
        raise QueryError('config must be an object (e.g. {"model": "gpt-4o"})')
    aliases = body.get("aliases") or []
    if not isinstance(aliases, list) or len(aliases) > MAX_ALIASES:
        raise QueryError(f"aliases must be a list of at most {MAX_ALIASES} aliases")
    return PromptInput(
        name=name,
        kind=kind,
        template=template,
        config_json=json_text(config or {}, "config", MAX_TEXT),
        commit_message=text_field(body, "commit_message", MAX_TEXT),
        tags=string_map(
            body.get("tags"), "tags", max_keys=MAX_TAGS, max_key=250, max_value=MAX_TEXT
        ),
        aliases=tuple(dict.fromkeys(validate_alias(a) for a in aliases)),
    )


def parse_alias_target(body: Any) -> int:
    body = json_object(body)
    unknown_fields(body, {"version"})
    if "version" not in body:
        raise QueryError("version is required: the version the alias points at")
    return validate_version(body["version"])
