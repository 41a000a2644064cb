"""Hypothesis on Word template fields an office could type (issue #13, finding 1).

Fields are generated from a grammar of what reaches into Python: the context's names and Jinja's
own (`self`, `loop`, `range`, `lipsum`, `cycler`, `namespace` ...), attribute and item access with
dunder and docxtpl names, calls, `|attr`, `str.format`, filters and growing operators. The
oracle is Python's audit hooks: while a template renders, nothing may open a file, start a
process, touch the network or the os module, whatever the field; it either renders to text or is
refused with a Jinja error. Through the whole Word path, a field either fills the document or is
refused with InvalidInput naming the template, and no file appears anywhere we watch.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2.debug  # noqa: F401  (imported lazily on a first error: not an event of the template)
import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2.exceptions import TemplateError

from workflow.adapters.template_sandbox import PlainSandbox
from workflow.errors import InvalidInput
from workflow.services.documents import render_docx, sop_sheet
from workflow.sop.spec import SopRegistry

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SHEET = ROOT / "workflow" / "services" / "doc_templates" / "sop_sheet.docx"
CONTEXT = {**sop_sheet(SopRegistry.from_directory(ROOT / "sop_definitions").get("pengukuran-data-kinerja")).context}
CONTEXT.pop("bagan_svg")
CONTEXT["bagan"] = "[[bagan-alur]]"

NAMES = [*CONTEXT, "self", "loop", "range", "lipsum", "cycler", "joiner", "namespace", "dict", "config",
         "request", "''", "'x'", "[]", "{}", "0", "1.5", "none", "true", "caller", "varargs", "kwargs"]  # fmt: skip
ATTRIBUTES = [
    "__class__", "__mro__", "__subclasses__", "__globals__", "__init__", "__builtins__", "__dict__", "__self__",
    "__func__", "__code__", "__reduce__", "__getattribute__", "_TemplateReference__context", "tpl", "save",
    "replace_zipname", "docx", "part", "package", "format", "format_map", "mro", "items", "keys", "values",
    "get", "upper", "replace", "append", "pop", "update", "encode", "center", "gi_frame", "f_globals",
    "environment", "globals", "module", "blocks", "eval_ctx", "parent", "vars", "cycle", "index", "length",
    "_range", "_allowed", "filters", "tests", "undefined", "no", "kegiatan",
]  # fmt: skip
FILTERS = ["attr('__class__')", "attr('upper')", "attr('tpl')", "list", "first", "string", "length", "join",
           "map(attribute='__class__')", "map('upper')", "selectattr('no')", "sort(attribute='__init__')",
           "dictsort", "replace('a', 'bb')", "format('x')", "tojson", "pprint", "center(99)", "upper", "items",
           "batch(2)", "sum", "default('x')", "e", "safe", "groupby('no')", "slice(3)", "xmlattr"]  # fmt: skip
OPERATORS = [" * 1000 ", " ~ ", " + ", " % ", " ** 3 ", " // 1 "]

atom = st.sampled_from(NAMES)
trailer = st.one_of(
    st.sampled_from(ATTRIBUTES).map(lambda a: f".{a}"),
    st.sampled_from(ATTRIBUTES).map(lambda a: f"['{a}']"),
    st.integers(-2, 3).map(lambda n: f"[{n}]"),
    st.sampled_from(["()", "('x')", "(1)", "(0, 9)", "('{0.__class__}')", "(nama)"]),
    st.sampled_from(FILTERS).map(lambda f: f"|{f}"),
)
expression = st.builds(lambda a, ts: a + "".join(ts), atom, st.lists(trailer, max_size=5))
combined = st.one_of(
    expression,
    st.builds(lambda a, op, b: f"({a}){op}({b})", expression, st.sampled_from(OPERATORS), expression),
    st.builds(lambda a: f"'{{0.__class__.__mro__}}'.format({a})", expression),
)
field = st.one_of(
    combined.map(lambda e: "{{ " + e + " }}"),
    combined.map(lambda e: "{% for x in " + e + " %}{{ x }}{{ loop.index }}{% endfor %}"),
    combined.map(lambda e: "{% set y = " + e + " %}{{ y }}"),
    combined.map(lambda e: "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(" + e + ") }}"),
)

FORBIDDEN = ("open", "os.", "subprocess.", "socket.", "shutil.", "ctypes", "pickle", "marshal",
             "function.__new__", "tempfile", "glob", "import", "builtins.input")  # fmt: skip
_watching: list[list[str]] = []


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _watching and event.startswith(FORBIDDEN):
        _watching[-1].append(f"{event} {args!r:.200}")


sys.addaudithook(_hook)


def _watched() -> Iterator[list[str]]:
    seen: list[str] = []
    _watching.append(seen)
    try:
        yield seen
    finally:
        _watching.pop()


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(field)
def test_a_generated_field_renders_plain_text_or_is_refused_and_touches_nothing_outside(text: str) -> None:
    env = PlainSandbox()
    try:
        template = env.from_string(text)
    except TemplateError:
        return
    watch = _watched()
    seen = next(watch)
    try:
        out = template.render(CONTEXT)
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError):
        out = None
    finally:
        events = list(seen)
        watch.close()
    assert events == [], (text, events)
    if out is not None:
        assert isinstance(out, str) and len(out) < 2_000_000


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("office-templates")


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(text=field)
def test_a_generated_field_in_a_word_template_fills_or_is_refused_naming_the_file(
    text: str, office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAKIP_TEMPLATE_DIR", str(office))
    monkeypatch.chdir(office)
    document = Document(str(DEFAULT_SHEET))
    document.add_paragraph(text)
    document.save(str(office / "sop_sheet.docx"))
    before = sorted(p.name for p in office.rglob("*"))
    try:
        data = render_docx("sop_sheet", {**CONTEXT, "bagan": "-"})
    except InvalidInput as exc:
        assert str(exc).startswith("Word template sop_sheet.docx: "), exc
        assert str(office) not in str(exc)
    else:
        assert data.startswith(b"PK")
    assert sorted(p.name for p in office.rglob("*")) == before
