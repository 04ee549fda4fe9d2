"""Prompt versions and aliases in ``prompts`` / ``prompt_aliases``: register, read,
resolve an alias, move or remove an alias, delete a version.

Every change inserts a row with a higher ``RowVersion``; reads keep the newest row per
key (see ``store/prompts_ddl.py``). Changes of this process are serialised by one lock,
so version numbers are handed out once (collectors of one cluster do not share it: two
registering the same prompt at the same moment could both write version N; the later
row wins, as a re-registration would). Acknowledged once the insert returned (fsynced).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from ..query.errors import NotFound
from ..store import ClickHouseStore
from ..store.prompts_ddl import ALIASES_TABLE, PROMPTS_TABLE
from ..store.versions import next_version, utc
from .model import LATEST, PromptInput

__all__ = ["delete_alias", "delete_version", "get_prompt", "get_version", "list_prompts",
           "register", "resolve_alias", "set_alias", "set_aliases"]  # fmt: skip

_LOCK = threading.Lock()
_COLS = ("Name", "Version", "Kind", "Template", "Config", "CommitMessage", "Tags", "Deleted",
         "RowVersion")  # fmt: skip
_ALIAS_COLS = ("Name", "Alias", "Version", "Deleted", "RowVersion")

# Newest row per version / alias of one prompt (a small table: one key range).
_VERSIONS = (
    f"SELECT {', '.join(_COLS)}, toUnixTimestamp64Milli(CreatedAt) AS created_ms"
    f" FROM {PROMPTS_TABLE} WHERE Name = {{name:String}}"
    " ORDER BY Version, RowVersion DESC LIMIT 1 BY Version"
)
_ALIASES = (
    f"SELECT {', '.join(_ALIAS_COLS)}, toUnixTimestamp64Milli(UpdatedAt) AS updated_ms"
    f" FROM {ALIASES_TABLE} WHERE Name = {{name:String}}"
    " ORDER BY Alias, RowVersion DESC LIMIT 1 BY Alias"
)
# Every prompt, without templates: for the list.
_ALL_VERSIONS = (
    f"SELECT Name, Version, Deleted, CommitMessage, toUnixTimestamp64Milli(CreatedAt) AS created_ms"
    f" FROM {PROMPTS_TABLE} ORDER BY Name, Version, RowVersion DESC LIMIT 1 BY Name, Version"
)
_ALL_ALIASES = (
    f"SELECT Name, Alias, Version, Deleted FROM {ALIASES_TABLE}"
    " ORDER BY Name, Alias, RowVersion DESC LIMIT 1 BY Name, Alias"
)


def _version_json(row: dict[str, Any], aliases: list[str]) -> dict[str, Any]:
    chat = row["Kind"] == "chat"
    return {
        "name": row["Name"],
        "version": int(row["Version"]),
        "type": row["Kind"],
        "template": json.loads(row["Template"]) if chat else row["Template"],
        "config": json.loads(row["Config"] or "{}"),
        "commit_message": row["CommitMessage"] or None,
        "tags": dict(row["Tags"]),
        "aliases": sorted(aliases),
        "create_time_ms": int(row["created_ms"]),
    }


def _rows(store: ClickHouseStore, name: str) -> tuple[list[dict], dict[str, int]]:
    """Every version row (deleted ones too) and the live aliases of the prompt."""
    versions = store.query_dicts(_VERSIONS, {"name": name})
    aliases = {r["Alias"]: int(r["Version"]) for r in store.query_dicts(_ALIASES, {"name": name})
               if not r["Deleted"]}  # fmt: skip
    return versions, aliases


def _pointing(aliases: dict[str, int], version: int) -> list[str]:
    return [a for a, v in aliases.items() if v == version]


def _missing(name: str, what: str = "") -> NotFound:
    return NotFound(f"no prompt named {name!r}{what} (spanwise prompts list shows them)")


def _live_version(versions: list[dict], name: str, version: int) -> dict[str, Any]:
    for row in versions:
        if int(row["Version"]) == version and not row["Deleted"]:
            return row
    raise _missing(name, f" with version {version}")


def _insert_aliases(store: ClickHouseStore, name: str, pairs: list[tuple[str, int, int]]) -> None:
    rows = []
    for alias, version, deleted in pairs:
        row_version = next_version()
        rows.append([name, alias, version, deleted, row_version, utc(row_version // 1_000_000)])
    store.insert_rows(ALIASES_TABLE, rows, [*_ALIAS_COLS, "UpdatedAt"])


def register(store: ClickHouseStore, item: PromptInput) -> dict[str, Any]:
    """A new version of the prompt (1 for a new name), with ``item.aliases`` moved to it."""
    with _LOCK:
        versions, aliases = _rows(store, item.name)
        version = max((int(r["Version"]) for r in versions), default=0) + 1
        row_version = next_version()
        row = {
            "Name": item.name, "Version": version, "Kind": item.kind, "Template": item.template,
            "Config": item.config_json, "CommitMessage": item.commit_message,
            "Tags": dict(item.tags), "Deleted": 0, "RowVersion": row_version,
            "created_ms": row_version // 1_000_000,
        }  # fmt: skip
        store.insert_rows(
            PROMPTS_TABLE, [[*(row[c] for c in _COLS), utc(row_version // 1_000_000)]],
            [*_COLS, "CreatedAt"],
        )  # fmt: skip
        if item.aliases:
            _insert_aliases(store, item.name, [(a, version, 0) for a in item.aliases])
            aliases.update(dict.fromkeys(item.aliases, version))
    return _version_json(row, _pointing(aliases, version))


def get_version(store: ClickHouseStore, name: str, version: int) -> dict[str, Any]:
    versions, aliases = _rows(store, name)
    return _version_json(_live_version(versions, name, version), _pointing(aliases, version))


def resolve_alias(store: ClickHouseStore, name: str, alias: str) -> dict[str, Any]:
    """The version ``alias`` points at; ``latest``: the newest live version."""
    versions, aliases = _rows(store, name)
    if alias == LATEST:
        live = [int(r["Version"]) for r in versions if not r["Deleted"]]
        if not live:
            raise _missing(name)
        version = max(live)
    elif alias in aliases:
        version = aliases[alias]
    else:
        raise _missing(name, f" with alias {alias!r}")
    return _version_json(_live_version(versions, name, version), _pointing(aliases, version))


def get_prompt(store: ClickHouseStore, name: str) -> dict[str, Any]:
    """The prompt's live versions, newest first, and its aliases."""
    versions, aliases = _rows(store, name)
    live = [r for r in versions if not r["Deleted"]]
    if not live:
        raise _missing(name)
    return {
        "name": name,
        "versions": [
            _version_json(r, _pointing(aliases, int(r["Version"])))
            for r in sorted(live, key=lambda r: -int(r["Version"]))
        ],
        "aliases": dict(sorted(aliases.items())),
    }


def list_prompts(store: ClickHouseStore) -> list[dict[str, Any]]:
    """Every prompt with a live version, by name: its newest version, how many it has,
    its aliases."""
    by_name: dict[str, list[dict]] = {}
    for row in store.query_dicts(_ALL_VERSIONS):
        if not row["Deleted"]:
            by_name.setdefault(row["Name"], []).append(row)
    aliases: dict[str, dict[str, int]] = {}
    for row in store.query_dicts(_ALL_ALIASES):
        if not row["Deleted"]:
            aliases.setdefault(row["Name"], {})[row["Alias"]] = int(row["Version"])
    out = []
    for name in sorted(by_name):
        newest = max(by_name[name], key=lambda r: int(r["Version"]))
        out.append({
            "name": name, "latest_version": int(newest["Version"]),
            "version_count": len(by_name[name]),
            "commit_message": newest["CommitMessage"] or None,
            "aliases": dict(sorted(aliases.get(name, {}).items())),
            "last_update_time_ms": int(newest["created_ms"]),
        })  # fmt: skip
    return out


def set_alias(store: ClickHouseStore, name: str, alias: str, version: int) -> dict[str, Any]:
    with _LOCK:
        versions, _ = _rows(store, name)
        _live_version(versions, name, version)
        _insert_aliases(store, name, [(alias, version, 0)])
    return {"name": name, "alias": alias, "version": version}


def set_aliases(
    store: ClickHouseStore, name: str, aliases: list[str], version: int
) -> dict[str, Any]:
    """Point each of ``aliases`` at ``version`` (one write); returns that version with
    every alias now on it."""
    with _LOCK:
        versions, current = _rows(store, name)
        row = _live_version(versions, name, version)
        if aliases:
            _insert_aliases(store, name, [(a, version, 0) for a in aliases])
            current.update(dict.fromkeys(aliases, version))
    return _version_json(row, _pointing(current, version))


def delete_alias(store: ClickHouseStore, name: str, alias: str) -> None:
    with _LOCK:
        _, aliases = _rows(store, name)
        if alias not in aliases:
            raise _missing(name, f" with alias {alias!r}")
        _insert_aliases(store, name, [(alias, aliases[alias], 1)])


def delete_version(store: ClickHouseStore, name: str, version: int) -> None:
    """The version goes, and the aliases that pointed at it (its number is not reused)."""
    with _LOCK:
        versions, aliases = _rows(store, name)
        row = _live_version(versions, name, version)
        row_version = next_version(int(row["RowVersion"]))
        gone = {**row, "Deleted": 1, "RowVersion": row_version}
        store.insert_rows(
            PROMPTS_TABLE, [[*(gone[c] for c in _COLS), utc(int(row["created_ms"]))]],
            [*_COLS, "CreatedAt"],
        )  # fmt: skip
        stale = _pointing(aliases, version)
        if stale:
            _insert_aliases(store, name, [(a, version, 1) for a in stale])
