"""Hypothesis on what people type and edit: numbers as offices write them, time standards, and
SOP files mutated from the real ones. Malformed input gives a clear error naming the field (and
for a file, the line), never another exception."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from conftest import SOP_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from web.cli import main
from workflow.domain.numbers import NumberError, parse_number
from workflow.domain.waktu import parse_waktu
from workflow.sop.spec import SopSpec, parse_spec
from workflow.sop.yamlsource import SourceErrors

BOUNDED = settings(max_examples=300, deadline=None, derandomize=True, database=None)
SOP_FILES = sorted(SOP_DIR.glob("*.yaml"))
ERROR_LINE = re.compile(r"^.+:\d+: \S.*: \S.*$")

# --- numbers -------------------------------------------------------------------------------------

number_like = st.text(alphabet="0123456789.,-+% Rrpe", max_size=24)


@BOUNDED
@given(st.one_of(number_like, st.text(max_size=24)))
def test_any_text_is_a_finite_number_or_a_number_error_naming_the_field(text: str) -> None:
    try:
        value = parse_number(text, "realisasi")
    except NumberError as exc:
        assert str(exc).startswith("realisasi: ")
        return
    assert value.is_finite()
    assert re.search(r"\d", text)


@BOUNDED
@given(st.one_of(st.text(alphabet="0123456789 ,.-haribulanjamenitkerjaHARI", max_size=24), st.text(max_size=24)))
def test_any_time_standard_is_read_or_refused_with_a_value_error(text: str) -> None:
    try:
        parse_waktu(text)
    except ValueError as exc:
        assert str(exc)


# --- SOP files -----------------------------------------------------------------------------------

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=12), st.floats(allow_nan=False))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=6), SCALARS, max_size=2))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_sop(draw: st.DrawFn) -> str:
    """A real SOP file with one to three edits: a value replaced, a field or item removed, a
    step duplicated, or the text itself cut, spliced or garbled."""
    source = draw(st.sampled_from(SOP_FILES)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 3))):
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError:
            data = None  # already broken by an earlier edit
        if not isinstance(data, dict | list) or draw(st.booleans()) and draw(st.booleans()):
            # Text-level damage: YAML syntax errors, truncation, stray characters.
            at = draw(st.integers(0, len(source)))
            kind = draw(st.sampled_from(["cut", "insert", "truncate"]))
            if kind == "cut":
                source = source[:at] + source[at + draw(st.integers(1, 80)) :]
            elif kind == "insert":
                source = source[:at] + draw(st.text(alphabet=":-[]{}#&*!|>'\"%@`\t\n ab1", max_size=6)) + source[at:]
            else:
                source = source[:at]
            continue
        path = draw(st.sampled_from(_paths(data)[1:] or [()]))
        if not path:
            data = draw(VALUES)
        else:
            parent = data
            for step in path[:-1]:
                parent = parent[step]
            action = draw(st.sampled_from(["replace", "delete", "duplicate"]))
            if action == "replace":
                parent[path[-1]] = draw(VALUES)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, list):
                parent.insert(path[-1], parent[path[-1]])
            else:
                parent[f"{path[-1]}_lagi"] = parent[path[-1]]
        source = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return source


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_sop())
def test_a_mutated_sop_file_is_valid_or_refused_line_by_line(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sop.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            spec = parse_spec(path)
        except SourceErrors as exc:
            assert exc.errors
            for error in exc.errors:
                assert error.file == str(path) and error.field and error.reason, error
                assert error.line >= 1 or error.field in ("file", "yaml"), error
                assert ERROR_LINE.match(str(error)), error
        else:
            assert isinstance(spec, SopSpec) and spec.steps
        run = CliRunner().invoke(main, ["sop", "validate", str(path)])
        assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
        assert run.exit_code in (0, 1), run.output
        if run.exit_code == 1:
            lines = run.output.strip().splitlines()
            assert lines and all(ERROR_LINE.match(line) for line in lines), run.output
