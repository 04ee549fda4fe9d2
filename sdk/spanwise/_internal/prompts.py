"""The prompt registry, client side (MLflow's ``register_prompt``/``load_prompt``,
Langfuse's ``create_prompt``/``get_prompt``): prompt templates kept by the collector in
numbered versions, aliases such as ``production`` pointing at one, ``{{variable}}``
placeholders filled in by ``Prompt.format``.

A prompt formatted (or loaded) inside a trace is linked to it: the current span gets
``spanwise.prompt.name``/``.version`` and the trace the tag ``prompt.<name>`` = version,
so traces can be searched (``tags.`prompt.support-answer` = '3'``) and compared
(``analytics --level trace --group-by tag:prompt.support-answer``) by prompt version.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import log_internal_error
from .exceptions import InvalidParameterError

__all__ = ["Prompt", "PromptInfo", "PromptsClientMixin", "load_prompt", "register_prompt"]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")
_URI = re.compile(r"^prompts:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[A-Za-z][\w.-]*))?$")


@dataclass(frozen=True)
class Prompt:
    """One version of a registered prompt. ``template`` is text, or (``type`` "chat") a
    list of ``{"role", "content"}`` messages; ``config`` is what was registered with it
    (model, temperature, …)."""

    name: str
    version: int
    template: Any
    type: str = "text"
    config: Mapping[str, Any] = field(default_factory=dict)
    commit_message: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    create_time_ms: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Prompt:
        return cls(
            name=d["name"], version=int(d["version"]), template=d["template"],
            type=d.get("type") or "text", config=d.get("config") or {},
            commit_message=d.get("commit_message") or None, tags=d.get("tags") or {},
            aliases=tuple(d.get("aliases") or ()), create_time_ms=int(d.get("create_time_ms") or 0),
        )  # fmt: skip

    @property
    def uri(self) -> str:
        return f"prompts:/{self.name}/{self.version}"

    @property
    def variables(self) -> frozenset[str]:
        """The names of the template's ``{{placeholders}}``."""
        return frozenset(_PLACEHOLDER.findall("\n".join(_texts(self.template))))

    def format(self, allow_partial: bool = False, **values: Any) -> Any:
        """The template with each ``{{name}}`` replaced by ``str(values[name])``: text, or
        for a chat prompt a new list of messages. A placeholder without a value raises
        ``InvalidParameterError`` unless ``allow_partial`` (then it stays as it is).
        Inside a trace, links this prompt version to the trace."""
        missing = self.variables - values.keys()
        if missing and not allow_partial:
            raise InvalidParameterError(
                f"prompt {self.name!r} v{self.version} needs a value for "
                f"{', '.join(sorted(missing))}"
            )

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(
                lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text
            )

        link_to_current_trace(self)
        if self.type == "chat":
            return [{**m, "content": fill(m["content"])} for m in self.template]
        return fill(self.template)


def _texts(template: Any) -> list[str]:
    if isinstance(template, str):
        return [template]
    return [m.get("content", "") for m in template if isinstance(m, Mapping)]


@dataclass(frozen=True)
class PromptInfo:
    """A registered prompt in a list: its newest version and its aliases."""

    name: str
    latest_version: int
    version_count: int
    aliases: Mapping[str, int] = field(default_factory=dict)
    commit_message: str | None = None
    last_update_time_ms: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PromptInfo:
        return cls(
            name=d["name"], latest_version=int(d["latest_version"]),
            version_count=int(d["version_count"]), aliases=d.get("aliases") or {},
            commit_message=d.get("commit_message") or None,
            last_update_time_ms=int(d.get("last_update_time_ms") or 0),
        )  # fmt: skip


def link_to_current_trace(prompt: Prompt) -> None:
    """Record on the current span (and its trace) that it used this prompt version."""
    from opentelemetry import trace as trace_api

    from .attributes import PROMPT_NAME, PROMPT_TAG_PREFIX, PROMPT_VERSION
    from .spans import set_trace_attributes, trace_attributes

    span = trace_api.get_current_span()
    if not span.is_recording():
        return
    try:
        set_trace_attributes(span, {
            PROMPT_NAME: prompt.name, PROMPT_VERSION: prompt.version,
            **trace_attributes(tags={PROMPT_TAG_PREFIX + prompt.name: prompt.version}),
        })  # fmt: skip
    except Exception:
        log_internal_error("linking a prompt to the current span")


def _path(name: str, *rest: str) -> str:
    import urllib.parse  # lazily, like Client: it is slow to import

    return "/".join(("/api/v1/prompts", urllib.parse.quote(name, safe=""),
                     *(urllib.parse.quote(r, safe="") for r in rest)))  # fmt: skip


def parse_selector(
    name_or_uri: str, version: int | str | None, alias: str | None
) -> tuple[str, tuple[str, str]]:
    """(name, ("versions", "3") | ("aliases", "production") | ("versions", "latest"))."""
    if not isinstance(name_or_uri, str) or not name_or_uri:
        raise InvalidParameterError("a prompt name or a prompts:/ URI is required")
    name = name_or_uri
    if name_or_uri.startswith("prompts:/"):
        match = _URI.match(name_or_uri)
        if match is None:
            raise InvalidParameterError(
                f"{name_or_uri!r} is not a prompt URI: prompts:/NAME, prompts:/NAME/VERSION or "
                "prompts:/NAME@ALIAS"
            )
        if version is not None or alias is not None:
            raise InvalidParameterError("give the version or alias in the URI or as an argument")
        name, version, alias = match["name"], match["version"], match["alias"]
    if version is not None and alias is not None:
        raise InvalidParameterError("give either version or alias, not both")
    if alias is not None:
        return name, ("aliases", str(alias))
    return name, ("versions", "latest" if version is None else str(int(version)))


class PromptsClientMixin:
    if TYPE_CHECKING:  # provided by Client, which mixes this class in

        def _request(self, method: str, path: str, params: dict[str, Any] | None = None,
                     body: Any = None) -> Any: ...  # fmt: skip

        def _not_found_is_none(self, method: str, path: str, **kwargs: Any) -> Any: ...

    def register_prompt(
        self,
        name: str,
        template: str | Sequence[Mapping[str, str]],
        commit_message: str | None = None,
        tags: Mapping[str, str] | None = None,
        config: Mapping[str, Any] | None = None,
        aliases: Sequence[str] | None = None,
    ) -> Prompt:
        """Register a new version of prompt ``name`` (version 1 for a new name): text with
        ``{{variables}}``, or a list of chat messages; ``aliases`` move to this version."""
        body = {
            "name": name, "template": template if isinstance(template, str) else list(template),
            "commit_message": commit_message, "tags": dict(tags) if tags else None,
            "config": dict(config) if config is not None else None,
            # One alias given as text is that alias, not its letters.
            "aliases": ([aliases] if isinstance(aliases, str) else list(aliases)) if aliases
            else None,
        }  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
        return Prompt.from_dict(self._request("POST", "/api/v1/prompts", body=body))

    def get_prompt(
        self, name: str, version: int | str | None = None, alias: str | None = None
    ) -> Prompt | None:
        """One version (by number or alias; the newest if neither), or ``None``. ``name``
        may also be a URI: ``prompts:/NAME/3``, ``prompts:/NAME@production``."""
        name, (kind, key) = parse_selector(name, version, alias)
        found = self._not_found_is_none("GET", _path(name, kind, key))
        return None if found is None else Prompt.from_dict(found)

    def get_prompt_versions(self, name: str) -> list[Prompt]:
        """Every live version of the prompt, newest first (empty if there is none)."""
        found = self._not_found_is_none("GET", _path(name))
        return [] if found is None else [Prompt.from_dict(v) for v in found["versions"]]

    def list_prompts(self) -> list[PromptInfo]:
        return [PromptInfo.from_dict(p) for p in self._request("GET", "/api/v1/prompts")["prompts"]]

    def set_prompt_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` (e.g. "production") at ``version``."""
        self._request("PUT", _path(name, "aliases", alias), body={"version": version})

    def delete_prompt_alias(self, name: str, alias: str) -> None:
        self._request("DELETE", _path(name, "aliases", alias))

    def delete_prompt_version(self, name: str, version: int) -> None:
        """Delete one version (its number is not reused; aliases pointing at it go too)."""
        self._request("DELETE", _path(name, "versions", str(int(version))))


class _Cache:
    """Prompts loaded by this process, with when they were fetched. A numbered version
    never changes: kept. An alias or "latest" is asked again once older than the
    caller's ``cache_ttl_seconds``; if the collector cannot be reached then, the last
    answer is served (with a warning) rather than failing the app."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str, str, str], tuple[float, Prompt]] = {}

    def get(self, key: tuple[str, str, str, str]) -> tuple[float, Prompt] | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: tuple[str, str, str, str], fetched: float, prompt: Prompt) -> None:
        with self._lock:
            self._items[key] = (fetched, prompt)


CACHE = _Cache()


def load_prompt(
    name_or_uri: str,
    version: int | str | None = None,
    alias: str | None = None,
    cache_ttl_seconds: float = 60.0,
    url: str | None = None,
) -> Prompt:
    """A registered prompt version from the collector: ``load_prompt("support-answer")``
    (the newest), ``load_prompt("support-answer", alias="production")``,
    ``load_prompt("prompts:/support-answer/3")``. Raises ``SpanwiseAPIError`` (404) when
    there is no such prompt. Inside a trace, links the version to it."""
    from .client import Client, SpanwiseAPIError

    name, (kind, key) = parse_selector(name_or_uri, version, alias)
    client = Client(url)
    cache_key = (client.url, name, kind, key)
    now = time.monotonic()
    fixed = kind == "versions" and key != "latest"
    cached = CACHE.get(cache_key)
    if cached is not None and (fixed or now - cached[0] < cache_ttl_seconds):
        prompt = cached[1]
    else:
        try:
            found = client._request("GET", _path(name, kind, key))
        except SpanwiseAPIError as err:
            if err.status not in (0, 502, 503, 504) or cached is None:
                raise
            import logging

            logging.getLogger("spanwise").warning(
                "prompt %s: %s; using the copy loaded earlier", name_or_uri, err
            )
            prompt = cached[1]
        else:
            prompt = Prompt.from_dict(found)
            CACHE.put(cache_key, now, prompt)
    link_to_current_trace(prompt)
    return prompt


def register_prompt(
    name: str,
    template: str | Sequence[Mapping[str, str]],
    commit_message: str | None = None,
    tags: Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
    aliases: Sequence[str] | None = None,
) -> Prompt:
    """``spanwise.Client().register_prompt(...)`` against the configured collector."""
    from .client import Client

    return Client().register_prompt(name, template, commit_message, tags, config, aliases)
