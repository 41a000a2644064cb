"""Load YAML while remembering the line each key and item came from.

Definition and organisation files are written by people; when one is wrong the message must
point at the line (`FILE:LINE: field: reason`), so the loaders keep the source position of
every mapping key and list item.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict[str, Any]):
    """A mapping that knows the line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence that knows the line of itself and of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


@dataclass(frozen=True)
class SourceError:
    """One problem in a source file, printed as `FILE:LINE: field: reason`."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


class SourceErrors(Exception):
    """Every problem found in one or more source files."""

    def __init__(self, errors: list[SourceError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class _Loader(yaml.SafeLoader):
    """SafeLoader with line-keeping mapping and sequence constructors (registered below)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        # Keys stay the text as written: YAML 1.1 would read a key `no` as False.
        if isinstance(key_node, yaml.ScalarNode):
            key = str(key_node.value)
        else:
            key = str(loader.construct_object(key_node, deep=True))
        if key in result:
            raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, display_name: str | None = None) -> tuple[Any, str]:
    """Parse PATH; return the document and the text it came from.

    A syntax error becomes a SourceErrors with the line YAML reports.
    """
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceErrors([SourceError(name, 0, "file", f"cannot read: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise SourceErrors([SourceError(name, 0, "file", "not UTF-8 text")]) from exc
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise SourceErrors([SourceError(name, line, "yaml", str(exc.problem))]) from exc
    except yaml.YAMLError as exc:
        raise SourceErrors([SourceError(name, 0, "yaml", str(exc))]) from exc
    return data, text
