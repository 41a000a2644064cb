"""Load YAML while remembering the line each key and item came from.

Definition and organisation files are written by people; when one is wrong the message must
point at the line (`FILE:LINE: field: reason`), so the loaders keep the source position of
every mapping key and list item.

Every such file may come from a user (an admin upload or the command line), so the loader reads
plain data only and refuses, before building anything, what makes a small file expensive:
anchors and aliases (`&a`, `*a`: "billion laughs"), lists or mappings used as keys, nesting
deeper than MAX_DEPTH and files larger than MAX_BYTES. Each refusal is a `FILE:LINE` error. A
plain scalar longer than MAX_TYPED is read as text, never as a number, date or boolean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, MappingStartEvent, NodeEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode

MAX_BYTES = 1024 * 1024
"""The largest YAML file read (1 MB). A Kabupaten's organisation (20 Kecamatan, 400 people) is
about 100 kB; a larger one loads in several files, since people not in a file are left as they are."""
MAX_DEPTH = 40
"""The deepest nesting of lists and mappings: the files need 5 at most."""
MAX_REASON = 300
"""The longest reason quoted from the YAML parser (it may quote the file)."""
MAX_TYPED = 1000
"""The longest plain scalar read as a number, date or boolean; a longer one is text. No value of
the files is that long, and PyYAML reads some forms in quadratic time (`1:59:59:...`, a base-60
number, or a 4,300-digit one that Python refuses to convert)."""


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


class _Refused(yaml.MarkedYAMLError):
    """A construct the files do not allow, or a value Python cannot hold, with its position."""

    def __init__(self, problem: str, mark: Any):
        super().__init__(problem=problem, problem_mark=mark)


class _Loader(yaml.SafeLoader):
    """SafeLoader with line-keeping mapping and sequence constructors (registered below).

    The checks sit in the composer, which turns parser events into nodes: an alias is refused
    before it is looked up, so nothing is ever expanded, and nesting is counted on the way down,
    before Python's recursion limit is near.
    """

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent):
            raise _Refused(f"alias *{_short(event.anchor or '')} is not allowed: write the value out", event.start_mark)
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise _Refused(f"anchor &{_short(event.anchor)} is not allowed: anchors and aliases are not supported",
                           event.start_mark)  # fmt: skip
        if not isinstance(event, SequenceStartEvent | MappingStartEvent):
            return super().compose_node(parent, index)
        if isinstance(parent, MappingNode) and index is None:  # the composer passes no index for a key
            raise _Refused("a key must be plain text, not a list or a mapping", event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        """The tag of a node; a plain scalar longer than MAX_TYPED is text, whatever it looks like."""
        if kind is ScalarNode and implicit[0] and len(value) > MAX_TYPED:
            return self.DEFAULT_SCALAR_TAG
        tag: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        return tag

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        """A value YAML reads but Python cannot hold (`2024-02-30`, a 5000-digit number) is a file error."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            raise _Refused(f"cannot read this value: {_short(str(exc), 100)}", node.start_mark) from None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reason(text: str) -> str:
    """A parser's message on one line and cut to MAX_REASON characters."""
    return _short(" ".join(text.split()), MAX_REASON)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        # Keys stay the text as written: YAML 1.1 would read a key `no` as False.
        key = str(key_node.value)  # the composer lets only scalar keys through
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

    A syntax error, a refused construct (see the module) or a file over MAX_BYTES becomes a
    SourceErrors with the line YAML reports.
    """
    name = display_name or str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # never more, whatever the file (or device) holds
    except OSError as exc:
        raise SourceErrors([SourceError(name, 0, "file", f"cannot read: {exc.strerror}")]) from exc
    if len(raw) > MAX_BYTES:
        raise SourceErrors([SourceError(name, 0, "file", f"larger than {MAX_BYTES // (1024 * 1024)} MB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SourceErrors([SourceError(name, line, "file", "not UTF-8 text")]) from exc
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise SourceErrors([SourceError(name, line, "yaml", _reason(str(exc.problem)))]) from exc
    except yaml.reader.ReaderError as exc:  # a control character: YAML allows printable text only
        line = text.count("\n", 0, exc.position) + 1
        reason = f"character U+{int(exc.character):04X} is not allowed"
        raise SourceErrors([SourceError(name, line, "yaml", reason)]) from exc
    except yaml.YAMLError as exc:
        raise SourceErrors([SourceError(name, 0, "yaml", _reason(str(exc)))]) from exc
    except RecursionError as exc:  # not expected below MAX_DEPTH; a file error all the same
        raise SourceErrors([SourceError(name, 0, "yaml", "nested too deeply")]) from exc
    return data, text
