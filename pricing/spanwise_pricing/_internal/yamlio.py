"""YAML in and out: a line-tracking loader for user files, a fast one for the built-ins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["LineDict", "LineList", "dump_yaml", "load_yaml", "load_yaml_fast"]

_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &id001 anchors: every value is written where it is read


class LineDict(dict):
    """A mapping that remembers the 1-based line of itself and of each key."""

    line: int | None = None
    key_lines: dict[Any, int]


class LineList(list):
    """A sequence that remembers the 1-based line of itself and of each item."""

    line: int | None = None
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        out = LineDict(super().construct_mapping(node, deep=True))
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int)):
                out.key_lines[key] = key_node.start_mark.line + 1
        return out

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        out = LineList(super().construct_sequence(node, deep=True))
        out.line = node.start_mark.line + 1
        out.item_lines = [child.start_mark.line + 1 for child in node.value]
        return out

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        # An impossible date (2024-13-01) stays text, so validation can name its line and key.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_yaml_timestamp)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence
)


def load_yaml(path: Path) -> Any:
    """Parse a user file, keeping line numbers for error messages."""
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_LineLoader)


def load_yaml_fast(text: str) -> Any:
    """Parse a built-in file with libyaml when present (no line numbers needed)."""
    return yaml.load(text, Loader=_FastLoader)


def dump_yaml(data: Any, header: str = "") -> str:
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return header + body
