"""Parse ``--store`` values: a directory / ``chdb:///abs/path`` or ``http(s)://…/db``."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class StoreLocation:
    kind: str  # "chdb" or "http"
    path: str = ""  # chDB data directory (absolute)
    host: str = ""
    port: int = 8123
    secure: bool = False
    username: str = "default"
    password: str = ""
    database: str = "default"

    def describe(self) -> str:
        if self.kind == "chdb":
            return f"chdb://{self.path}"
        scheme = "https" if self.secure else "http"
        return f"{scheme}://{self.host}:{self.port}/{self.database}"


def parse_store(value: str) -> StoreLocation:
    """``./dir``, ``/abs/dir``, ``chdb:///abs/dir`` or ``http(s)://user:pass@host:port/db``."""
    value = value.strip()
    if not value:
        raise ValueError("--store is empty; pass a directory or http(s)://host:8123/db")
    if value.startswith(("http://", "https://")):
        parts = urlsplit(value)
        database = parts.path.strip("/") or "default"
        if not _DB_NAME.match(database):
            raise ValueError(f"invalid ClickHouse database name {database!r} in --store")
        secure = parts.scheme == "https"
        return StoreLocation(
            kind="http",
            host=parts.hostname or "localhost",
            port=parts.port or (8443 if secure else 8123),
            secure=secure,
            username=unquote(parts.username or "default"),
            password=unquote(parts.password or ""),
            database=database,
        )
    if value.startswith("chdb://"):
        value = value[len("chdb://") :]
        if not value:
            raise ValueError("chdb:// needs a path, e.g. chdb:///var/lib/spanwise")
    elif "://" in value:
        raise ValueError(
            f"unsupported store {value!r}: use a directory, chdb:///path or http(s)://"
        )
    return StoreLocation(kind="chdb", path=os.path.abspath(os.path.expanduser(value)))
