"""The prompt registry: prompt templates in numbered versions, aliases pointing at them;
see ``store/prompts_ddl.py`` for the tables."""

from .model import (
    LATEST,
    parse_alias_target,
    parse_register,
    validate_alias,
    validate_name,
    validate_version,
)
from .store import (
    delete_alias,
    delete_version,
    get_prompt,
    get_version,
    list_prompts,
    register,
    resolve_alias,
    set_alias,
    set_aliases,
)

__all__ = [
    "LATEST",
    "delete_alias",
    "delete_version",
    "get_prompt",
    "get_version",
    "list_prompts",
    "parse_alias_target",
    "parse_register",
    "register",
    "resolve_alias",
    "set_alias",
    "set_aliases",
    "validate_alias",
    "validate_name",
    "validate_version",
]
