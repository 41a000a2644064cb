"""Hypothesis on uploaded files (issue #13): organisation files (with their units' calendars),
schedule and SOP files mutated from the real ones and salted with what YAML allows and the
files do not (anchors, aliases, lists as keys, tags, deep nesting, impossible dates), posted to
the admin pages; and XLSX workbooks with mutated cells, sheets and ZIP parts, imported as
`sakip data import` does. Every file either loads or is refused with messages naming the file and
line (the sheet and row of a workbook); a refused file writes nothing; nothing raises, no page
answers 500, and no temporary file is left behind."""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import ORG_FILE, ROOT, SOP_DIR
from flask.testing import FlaskClient
from helpers import PASSWORD, load_org_file
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError
from sqlalchemy import select
from test_fuzz_inputs import _paths

from web import create_app
from web.cli import main
from workflow.adapters import schema
from workflow.adapters.db import Database
from workflow.adapters.models import Base
from workflow.errors import InvalidInput
from workflow.services.engine import WorkflowService
from workflow.services.org import parse_org_file
from workflow.services.schedule import parse_schedule_file
from workflow.services.tokens import set_all_passwords
from workflow.services.workbook import import_workbook
from workflow.sop.spec import SopRegistry, parse_spec
from workflow.sop.yamlsource import SourceErrors

# One worker runs the whole module under `pytest -n --dist loadgroup`: its module-scoped site is built once.
pytestmark = pytest.mark.xdist_group("fuzz_uploads")
FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CALENDAR = """    calendar:
      office_hours: {senin: "07:30-16:00", selasa: "07:30-16:00", rabu: "07:30-16:00", kamis: "07:30-16:00",
                     jumat: "07:00-14:00"}
      days_off: [{date: 2026-05-20, name: Hari Jadi Kabupaten}]
      waktu: {pengukuran-data-kinerja/pengukuran_asn: 2 hari}
"""
ORG_SEED = ORG_FILE.read_text(encoding="utf-8").replace(
    "    capaian_policy: mojokerto\n", "    capaian_policy: mojokerto\n" + CALENDAR, 1
)
SEEDS = {
    "/admin/org": [ORG_SEED],
    "/admin/schedule": [(ROOT / "examples" / "schedule-mojokerto.yaml").read_text(encoding="utf-8")],
    "/admin/sop": [  # as new versions, so that a file still valid after its edits is accepted
        re.sub(r"(?m)^version: \d+$", f"version: {50 + i}", p.read_text(encoding="utf-8"), count=1)
        for i, p in enumerate(sorted(SOP_DIR.glob("*.yaml")))
    ],
}
UPLOAD_NAME = "unggahan.yaml"
LINE_MESSAGE = re.compile(rf"^{re.escape(UPLOAD_NAME)}:\d+: \S.*: \S.*$")
MORE_MESSAGE = re.compile(r"^\.\.\. dan \d+ masalah lain\.$")
SOP_EXISTS = re.compile(r"^\S+ (versi \d+ sudah ada|\.v\d+\.yaml sudah ada)")

# --- YAML ------------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.text(max_size=12),
    st.floats(), st.dates(), st.datetimes(), st.binary(max_size=6),
)  # fmt: skip
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=6), SCALARS, max_size=2))
HOSTILE = [
    "x: &a [1, 2]\n", "y: *a\n", "z: &s text\n", "- *a\n", "? [1, 2]\n: v\n", "? {a: 1}\n: v\n",
    "d: 2024-02-30\n", "t: 2024-13-01 25:61:00\n", "n: " + "9" * 5000 + "\n", "b: !!binary 'a'\n",
    "p: !!python/object/apply:os.system [echo]\n", "m: {<<: {a: 1}}\n", "m: {<<: 1}\n", "s: !!set {a, b}\n",
    "o: !!omap [a: 1, a: 2]\n", "f: 1e999\n", "g: .nan\n", "q: " + "[" * 200 + "\n", "- " * 100 + "x\n",
    "k: !unknown x\n", "c: \x00\n", "u: \ufeff\u202e\n", "dup: 1\ndup: 2\n", "<<: [*a]\n", "\t- x\n",
]  # fmt: skip


@st.composite
def mutated_yaml(draw: st.DrawFn, endpoint: str) -> str:
    """A real file for ENDPOINT with one to three edits: a value replaced, a field or item removed
    or duplicated, a hostile fragment inserted at some line and indentation, or the text cut."""
    source = draw(st.sampled_from(SEEDS[endpoint]))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["structure", "structure", "hostile", "hostile", "text"]))
        if kind == "hostile":
            starts = [0] + [m.end() for m in re.finditer("\n", source)]
            at = draw(st.sampled_from(starts))
            indent = " " * draw(st.sampled_from([0, 2, 4, 6]))
            fragment = "".join(indent + line for line in draw(st.sampled_from(HOSTILE)).splitlines(keepends=True))
            source = source[:at] + fragment + source[at:]
            continue
        if kind == "text":
            at = draw(st.integers(0, len(source)))
            source = source[:at] + draw(st.text(alphabet=":-[]{}#&*!|>'\"%@`\t\n ab1", max_size=6)) + source[at + 3 :]
            continue
        try:
            data = yaml.load(source, Loader=yaml.CSafeLoader)  # noqa: S506 - the safe loader, in C
        except (yaml.YAMLError, ValueError, OverflowError):
            continue  # already broken by an earlier edit
        path = draw(st.sampled_from(_paths(data)[1:] or [()]))
        if not path:
            data = draw(VALUES)
        else:
            parent = data
            for step in path[:-1]:
                parent = parent[step]
            action = draw(st.sampled_from(["replace", "replace", "delete", "duplicate"]))
            if action == "replace":
                parent[path[-1]] = draw(VALUES)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, list):
                parent.insert(path[-1], parent[path[-1]])
            else:
                parent[f"{path[-1]}_lagi"] = parent[path[-1]]
        source = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    return source


@dataclass
class Site:
    db: Database
    client: FlaskClient
    token: str
    sop_dir: Path
    tmp: Path

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table."""
        with self.db.engine.connect() as conn:
            return {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr) for t in Base.metadata.sorted_tables}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("fuzz-uploads")
    url = f"sqlite:///{folder / 'sakip.db'}"
    db = Database.from_url(url)
    schema.upgrade(db.engine)
    load_org_file(db)
    set_all_passwords(WorkflowService(db, SopRegistry.from_directory(SOP_DIR)), PASSWORD)
    sop_dir = folder / "sop"
    sop_dir.mkdir()
    for path in SOP_DIR.glob("*.yaml"):
        (sop_dir / path.name).write_bytes(path.read_bytes())
    tmp = folder / "tmp"
    tmp.mkdir()
    app = create_app({"DATABASE_URL": url, "SOP_DIR": str(sop_dir), "SECRET_KEY": "test-secret", "TESTING": True})
    client = app.test_client()

    def csrf(path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        assert found, path
        return found.group(1)

    login = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": csrf("/login")})
    assert login.status_code == 302
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(tmp))  # the uploads' temporary folders go here
        yield Site(db, client, csrf("/admin/"), sop_dir, tmp)
    app.extensions["sakip_db"].dispose()
    db.dispose()


def _check_source_errors(exc: SourceErrors) -> None:
    assert exc.errors
    for error in exc.errors:
        assert error.field and error.reason, error
        assert error.line >= 1 or error.field in ("file", "yaml"), error


def _upload(site: Site, endpoint: str, text: str, load: bool) -> None:
    """Post TEXT to ENDPOINT; it is loaded, or refused with FILE:LINE messages and nothing written."""
    before = site.snapshot()
    sops_before = sorted(p.name for p in site.sop_dir.iterdir())
    form = {"file": (io.BytesIO(text.encode("utf-8")), UPLOAD_NAME), "csrf_token": site.token}
    if load:
        form["load"] = "1"
    response = site.client.post(endpoint, data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.status_code
    with site.client.session_transaction() as session:
        flashes = session.pop("_flashes", [])
    assert flashes
    assert list(site.tmp.iterdir()) == []
    refused = [message for category, message in flashes if category == "danger"]
    event("refused" if refused else "accepted")
    if not refused:
        return
    assert all(category == "danger" for category, _ in flashes), flashes
    assert all(
        LINE_MESSAGE.match(m) or MORE_MESSAGE.match(m) or (endpoint == "/admin/sop" and SOP_EXISTS.match(m))
        for m in refused
    ), refused
    assert sum(len(m) for m in refused) <= 2200
    assert site.snapshot() == before
    assert sorted(p.name for p in site.sop_dir.iterdir()) == sops_before


@FUZZ
@given(text=mutated_yaml("/admin/org"))
def test_a_mutated_organisation_file_loads_or_is_refused_line_by_line(site: Site, text: str) -> None:
    path = site.tmp.parent / "org.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        parse_org_file(path)
    except SourceErrors as exc:
        _check_source_errors(exc)
    _upload(site, "/admin/org", text, load=False)


@FUZZ
@given(text=mutated_yaml("/admin/schedule"))
def test_a_mutated_schedule_file_loads_or_is_refused_line_by_line(site: Site, text: str) -> None:
    path = site.tmp.parent / "jadwal.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        parse_schedule_file(path, SopRegistry.from_directory(SOP_DIR))
    except SourceErrors as exc:
        _check_source_errors(exc)
    _upload(site, "/admin/schedule", text, load=False)


@FUZZ
@given(text=mutated_yaml("/admin/sop"), load=st.booleans())
def test_a_mutated_sop_upload_is_validated_or_refused_line_by_line(site: Site, text: str, load: bool) -> None:
    path = site.tmp.parent / "sop.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        parse_spec(path)
    except SourceErrors as exc:
        _check_source_errors(exc)
    _upload(site, "/admin/sop", text, load=load)


# --- XLSX ------------------------------------------------------------------------------------

WORKBOOK = ROOT / "examples" / "kutorejo-2024.xlsx"
CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(), st.text(max_size=20),
    st.sampled_from(["Kode", "kode", "=1/0", "=A1", "tujuan", "sasaran", "program", "IKU-1", "kasi.pelayanan",
                     "@admin", "persentase", "kumulatif", "93,35", "1736/1736", "B", "ya", "-", "\x00"]),
    st.integers(32_000, 40_000).map(lambda n: "x" * n),
    st.dates(min_value=date(1900, 1, 1)), st.datetimes(min_value=datetime(1900, 1, 1)),
)  # fmt: skip
SHEET_NAMES = ["Pohon Kinerja", "Indikator", "PK", "PK Perubahan", "Renstra", "Rencana Aksi", "Lain", "pk "]


class Upload:
    """A generated workbook, shown by the edits that made it (its bytes are too long to show)."""

    def __init__(self, data: bytes, edits: list[str]):
        self.data = data
        self.edits = edits

    def __repr__(self) -> str:
        return f"Upload({len(self.data)} bytes: {'; '.join(self.edits)})"


@st.composite
def mutated_workbook(draw: st.DrawFn) -> Upload:
    """The example workbook with cells, rows and sheets edited, then perhaps its ZIP damaged."""
    book = load_workbook(WORKBOOK)
    edits: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        ws = draw(st.sampled_from(book.worksheets))
        action = draw(st.sampled_from(["cell", "cell", "cell", "delete_rows", "rename", "add", "remove", "copy"]))
        edits.append(f"{action} {ws.title!r}")
        if action == "cell":
            row = draw(st.integers(1, ws.max_row + 2))
            column = draw(st.integers(1, ws.max_column + 2))
            value = draw(CELLS)
            edits[-1] += f" {row},{column}={value!r:.40}"
            try:
                ws.cell(row, column).value = value
            except (ValueError, TypeError, IllegalCharacterError):
                pass  # a value openpyxl itself refuses to write (an illegal character)
        elif action == "delete_rows":
            ws.delete_rows(draw(st.integers(1, ws.max_row)), draw(st.integers(1, 3)))
        elif action == "rename":
            title = draw(st.sampled_from(SHEET_NAMES))
            if title not in book.sheetnames:
                ws.title = title
        elif action == "add":
            title = draw(st.sampled_from(SHEET_NAMES))
            if title not in book.sheetnames:
                with contextlib.suppress(ValueError, TypeError, IllegalCharacterError):
                    book.create_sheet(title).append(draw(st.lists(CELLS, max_size=4)))
        elif action == "remove" and len(book.worksheets) > 1:
            book.remove(ws)
        elif action == "copy":
            book.copy_worksheet(ws)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if draw(st.booleans()):
        return Upload(data, edits)
    damage = draw(st.sampled_from(["part", "part", "drop", "dimension", "bytes"]))
    if damage == "bytes":
        at = draw(st.integers(0, 2**20)) % len(data)  # saved packages differ a little in length (timestamps)
        edits.append(f"bytes at {at}")
        return Upload(data[:at] + draw(st.binary(max_size=8)) + data[at + draw(st.integers(0, 8)) :], edits)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    name = draw(st.sampled_from(sorted(parts)))
    edits.append(f"{damage} {name}")
    if damage == "drop":
        del parts[name]
    elif damage == "dimension":
        sheet = draw(st.sampled_from(sorted(p for p in parts if p.startswith("xl/worksheets/"))))
        xml = parts[sheet].decode("utf-8")
        ref = draw(st.sampled_from(["A1:XFD1048576", "A1:Z999999999", "XFD1", "A0:B", "!"]))
        xml = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', xml)
        row = draw(st.sampled_from(["1048576", "999999999", "0", "-1", "x"]))
        edits[-1] = f"dimension {sheet} {ref}, row {row}"
        xml = xml.replace(
            "</sheetData>", f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>a</t></is></c></row></sheetData>'
        )
        parts[sheet] = xml.encode("utf-8")
    else:
        text = parts[name]
        at = draw(st.integers(0, 2**20)) % (len(text) + 1)
        insert = draw(
            st.sampled_from([b"<", b">", b"&", b'"', b"<x>", b"</row>", b"\xff", b"<v>inf</v>", b"<v>nan</v>", b""])
        )
        cut = draw(st.integers(0, 12))
        edits[-1] += f" at {at}: {insert!r} for {cut} bytes"
        parts[name] = text[:at] + insert + text[at + cut :]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for part, content in parts.items():
            package.writestr(part, content)
    return Upload(out.getvalue(), edits)


@settings(FUZZ, max_examples=80)
@given(upload=mutated_workbook(), year=st.sampled_from([2024, 2025]))
def test_a_mutated_workbook_imports_or_is_refused_by_sheet_and_row(site: Site, upload: Upload, year: int) -> None:
    path = site.tmp.parent / "rencana.xlsx"
    path.write_bytes(upload.data)
    before = site.snapshot()
    try:
        import_workbook(site.db, path, "kutorejo", year, "admin")
        event("imported")
    except InvalidInput as exc:
        event("refused: " + ("rows" if getattr(exc, "errors", None) else str(exc).split(" ", 2)[0]))
        assert str(exc).strip()
        for line in getattr(exc, "errors", [str(exc)]):
            assert re.match(r"^[^:\n]+: \S", line), line  # `Sheet baris N: field: reason`, `file: ...`
        assert site.snapshot() == before
    run = CliRunner().invoke(
        main, ["data", "import", str(path), "--unit", "kutorejo", "--year", str(year), "--as", "admin",
               "--db", str(site.db.engine.url)],
    )  # fmt: skip
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    assert run.exit_code in (0, 5), run.output
