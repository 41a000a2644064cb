"""An office's Word template is code written by someone who must not gain more than the document.

Each escape attempt below is a field an office could type into its own copy of a template. The
engine must refuse it with the usual message naming the template file (CLI exit 5), and nothing
may be written or read outside the document. The contexts handed to templates must be plain data
for every document kind (issue #13, finding 1)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from helpers import S4
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli import sakip
from test_documents import REGISTRY, _site, cycle_with_one_return

from workflow.adapters.template_sandbox import MAX_TEXT, RANGE_BUDGET, PlainSandbox, is_plain, plain_data
from workflow.errors import InvalidInput
from workflow.services.documents import BAGAN_MARKER, laporan, nota_dinas, render_docx, sop_sheet, template_dir
from workflow.sop.spec import SopSpec

DEFAULT_SHEET = Path(__file__).resolve().parents[2] / "workflow" / "services" / "doc_templates" / "sop_sheet.docx"


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    monkeypatch.setenv("SAKIP_TEMPLATE_DIR", str(folder))
    return folder


def save_sheet_with(folder: Path, field: str) -> Path:
    """The default SOP sheet with one more paragraph holding FIELD, as an office would type it."""
    document = Document(str(DEFAULT_SHEET))
    document.add_paragraph(field)
    target = folder / "sop_sheet.docx"
    document.save(str(target))
    return target


def spec() -> SopSpec:
    return REGISTRY.get(S4)


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("server") / "secret_key"
    path.write_text("s3cr3t-signing-key")
    return path


ESCAPES = [
    # The two attacks of the review: the picture's live DocxTemplate wrote and read files.
    "{{ bagan.tpl.save('@OUT@') }}",
    "{{ bagan.tpl.replace_zipname('docProps/thumbnail.jpeg', '@SECRET@') }}",
    "{{ bagan.tpl.docx.part.package.save('@OUT@') }}",
    # Python's object graph, by attribute, item, |attr, map(attribute=) and str.format.
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ nama|attr('__class__') }}",
    "{{ steps|map(attribute='__class__')|list }}",
    "{{ steps[0]['__class__'] }}",
    "{{ '{0.__class__.__init__.__globals__}'.format(nama) }}",
    "{{ nama.format_map(steps[0]) }}",
    "{{ nama.encode('utf-8') }}",
    "{{ nama.upper.__self__ }}",
    # Mutating the data, reaching Jinja's own objects and the callables it would offer.
    "{{ dasar_hukum.append('x') }}",
    "{{ steps[0].update({'no': 1}) }}",
    "{{ range.__self__ }}",
    "{{ self.__init__ }}",
    "{% for s in steps %}{{ loop.__class__ }}{% endfor %}",
    "{{ lipsum(100) }}",
    "{{ cycler('a').__init__ }}",
    "{{ namespace(a=1) }}",
    "{{ dict(a=1) }}",
    "{% set x = joiner() %}{{ x }}",
    "{{ nama|tojson }}",
    "{{ nama|format('x') }}",
    "{% include '@SECRET@' %}",
    "{% import '@SECRET@' as s %}",
    # Exhausting the server from a template.
    "{{ 'x' * 1000000000 }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '%*d' % (999999999, 1) }}",
    "{{ 10 ** 100000000 }}",
    "{% for i in range(100000) %}{% endfor %}",
    "{{ nama.replace('', nama * 10000) }}",
    "{{ nama|replace('', nama * 10000) }}",
    "{{ nama.center(999999999) }}",
    "{{ nama|center(999999999) }}",
]


# Fields that cost instead of escape (the independent review's findings): refused by the sandbox
# where it can see the size, else stopped by the child process's CPU and memory ceilings.
COSTLY = [
    "{% set a = 'x' * 200000 %}{% set a = a ~ a %}{{ a|length }}",
    "{{ (['x' * 200000] * 200000)|join }}",
    "{{ [1]|batch(1000000000, 0)|first }}",
    "{% set s = 'x' * 200000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    "{% set n = 10 ** 999 %}" + "{% set n = n * n %}" * 17 + "{{ n > 0 }}",
    "{% set s = 'x' * 199999 %}{% for i in range(3000) %}{{ s }}{% endfor %}",
]


@pytest.mark.parametrize("field", COSTLY)
def test_a_costly_field_is_stopped_with_a_clear_message(
    field: str, office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAKIP_TEMPLATE_CPU_SECONDS", "2")
    monkeypatch.setenv("SAKIP_TEMPLATE_MEMORY_MB", "256")
    save_sheet_with(office, field)
    with pytest.raises(InvalidInput, match=r"^Word template sop_sheet\.docx: (a field is not allowed|filling it took)"):
        sop_sheet(spec()).docx()
    # The server process is untouched: the next document renders.
    save_sheet_with(office, "{{ nama }}")
    assert sop_sheet(spec()).docx().startswith(b"PK")


def test_a_template_that_unpacks_to_a_flood_of_paragraphs_is_stopped(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAKIP_TEMPLATE_CPU_SECONDS", "2")
    with zipfile.ZipFile(DEFAULT_SHEET) as source, zipfile.ZipFile(office / "sop_sheet.docx", "w",
                                                                   zipfile.ZIP_DEFLATED) as target:  # fmt: skip
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b"<w:p/>" * 1_000_000 + b"</w:body>")
            target.writestr(item, data)
    assert (office / "sop_sheet.docx").stat().st_size < 200_000
    with pytest.raises(InvalidInput, match=r"^Word template sop_sheet\.docx: filling it took too much time"):
        sop_sheet(spec()).docx()


@pytest.mark.parametrize("field", ESCAPES)
def test_an_escape_attempt_is_refused_and_writes_or_reads_nothing(
    field: str, office: Path, tmp_path: Path, secret: Path
) -> None:
    out = tmp_path / "pwned.docx"
    save_sheet_with(office, field.replace("@OUT@", str(out)).replace("@SECRET@", str(secret)))
    with pytest.raises(InvalidInput, match=r"^Word template sop_sheet\.docx: ") as refused:
        sop_sheet(spec()).docx()
    assert str(tmp_path) not in str(refused.value)  # the message names the file, never a server path
    assert not out.exists()
    assert "s3cr3t" not in str(refused.value)


def test_the_cli_refuses_an_escape_with_exit_5_and_writes_nothing(office: Path, tmp_path: Path, secret: Path) -> None:
    out = tmp_path / "pwned.docx"
    save_sheet_with(office, f"{{{{ bagan.tpl.save('{out}') }}}}")
    target = tmp_path / "sheet.docx"
    refused = sakip("doc", "sop", S4, "--format", "docx", "-o", str(target), expect=5)
    assert "Word template sop_sheet.docx" in refused.stderr
    assert not out.exists() and not target.exists()


def test_a_secret_copied_into_the_document_is_impossible(office: Path, secret: Path) -> None:
    """The review's second attack: replace_zipname copied the secret key into docProps/thumbnail."""
    save_sheet_with(
        office, "{{ bagan.tpl.replace_zipname('docProps/thumbnail.jpeg', '@S@') }}".replace("@S@", str(secret))
    )
    with pytest.raises(InvalidInput):
        sop_sheet(spec()).docx()
    # The same office template without the field renders, and holds no byte of the secret.
    save_sheet_with(office, "{{ nama|upper }} {% for s in steps %}{{ loop.index }}.{{ s.no }} {% endfor %}")
    data = sop_sheet(spec()).docx()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert all(b"s3cr3t" not in package.read(name) for name in package.namelist())


def test_plain_fields_methods_and_filters_still_work_and_the_bagan_is_placed(office: Path) -> None:
    save_sheet_with(
        office,
        "[{{ nama|upper }}|{{ nama.title() }}|{{ steps|length }}|{{ roles|join(', ') }}|"
        "{{ steps[0].get('no') }}|{% for k, v in steps[0].items() if k == 'no' %}{{ v }}{% endfor %}|"
        "{{ '%05d' % 7 }}|{{ (steps|map(attribute='no')|list)[:2] }}|"
        "{% for i in range(3) %}{{ loop.index }}{{ loop.cycle('a', 'b') }}{% endfor %}]",
    )
    data = sop_sheet(spec()).docx()
    document = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    sheet = spec()
    assert f"[{sheet.nama.upper()}|{sheet.nama.title()}|{len(sheet.steps)}|" in text
    assert "|00007|" in text and "1a2b3a]" in text
    assert BAGAN_MARKER not in text  # the marker became the picture
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert any(name.startswith("word/media/") and name.endswith(".png") for name in package.namelist())


def test_range_has_a_budget_per_document() -> None:
    env = PlainSandbox()
    assert env.from_string("{{ range(3)|list }}").render() == "[0, 1, 2]"
    with pytest.raises(Exception, match="range"):
        env.from_string(f"{{% for i in range({RANGE_BUDGET}) %}}{{% endfor %}}").render()
    assert len(PlainSandbox().from_string("{{ 'x' * n }}").render(n=MAX_TEXT)) == MAX_TEXT


def test_a_relative_template_dir_is_taken_inside_the_instance_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from workflow.config import INSTANCE_DIR

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAKIP_TEMPLATE_DIR", "kantor")
    assert template_dir() == INSTANCE_DIR / "kantor"
    monkeypatch.delenv("SAKIP_TEMPLATE_DIR")
    assert template_dir() == INSTANCE_DIR / "templates"
    monkeypatch.setenv("SAKIP_TEMPLATE_DIR", str(tmp_path / "abs"))
    assert template_dir() == tmp_path / "abs"


def test_render_docx_refuses_a_context_that_is_not_plain_data(office: Path) -> None:
    class Engine:
        """An object of the engine's, which a template must never be handed."""

    with pytest.raises(TypeError, match=r"context\.steps\[0\]: Engine is not plain data"):
        render_docx("sop_sheet", {"steps": [Engine()]})


# --- every document kind hands its template plain data only ------------------------------

plain_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    nama=plain_text,
    kegiatan=st.lists(plain_text, min_size=1, max_size=3),
    extra=st.recursive(
        st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=False) | st.dates() | plain_text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_text, inner, max_size=3),
        max_leaves=10,
    ),
)
def test_the_sop_sheet_context_is_plain_data_for_any_definition(nama: str, kegiatan: list[str], extra: object) -> None:
    base = spec()
    steps = [replace(step, kegiatan=text, output=text) for step, text in zip(base.steps, kegiatan, strict=False)]
    header = replace(base.header, nama=nama, dasar_hukum=tuple(kegiatan), peringatan=nama)
    changed = replace(base, header=header, steps=(*steps, *base.steps[len(steps) :]))
    context = sop_sheet(changed).context
    assert is_plain(context) and plain_data(context) == context
    assert is_plain(plain_data({"extra": extra}))


def test_the_nota_dinas_and_laporan_contexts_are_plain_data_draft_and_signed(tmp_path: Path) -> None:
    service, perf = _site(tmp_path)
    instance_id = cycle_with_one_return(service, perf)
    kinds = {"nota_dinas": nota_dinas(service, instance_id), "laporan (draft)": laporan(service, instance_id)}
    service.act(service.status(instance_id).waiting_on[0].task_id, "approve", "sekcam")
    service.act(service.status(instance_id).waiting_on[0].task_id, "sign", "camat")
    kinds["laporan (signed)"] = laporan(service, instance_id)
    kinds["sop_sheet"] = sop_sheet(spec())
    for kind, rendered in kinds.items():
        assert rendered.context, kind
        assert is_plain(rendered.context), kind
        assert plain_data(rendered.context) == rendered.context, kind
    assert re.search(r"FINAL", kinds["laporan (signed)"].context["status"])


@pytest.mark.parametrize("value", [object(), b"bytes", {1: "non-text key"}, {"a": {"b": [set()]}}, date, Decimal])
def test_plain_data_refuses_everything_else(value: object) -> None:
    assert not is_plain(value)
    with pytest.raises(TypeError):
        plain_data(value)
