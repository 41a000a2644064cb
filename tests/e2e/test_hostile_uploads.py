"""Hostile uploads through the command line and the admin pages (issue #13, finding 4).

YAML: a billion-laughs file, an alias or a list used as a mapping key, nesting 50,000 deep and a
file over 1 MB are each refused with a `FILE:LINE: field: reason` error before anything is built
from it, load nothing and leave no temporary file. XLSX: a small workbook claiming a million rows
and one with broken XML are refused as a whole. Each runs in a process whose address space (and
CPU time) is capped, so an expansion fails the test rather than the machine; no timings are
asserted.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ORG_FILE, ROOT, SOP_DIR
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD, load_org_file
from openpyxl import load_workbook
from sqlalchemy import func, select

from web import create_app
from workflow.adapters import schema
from workflow.adapters.db import Database
from workflow.adapters.models import (
    Cycle,
    DataEvent,
    Indicator,
    Person,
    PlanNode,
    RoleAssignment,
    Schedule,
    TargetSet,
    Unit,
)
from workflow.services.engine import WorkflowService
from workflow.services.tokens import set_all_passwords
from workflow.sop.spec import SopRegistry
from workflow.sop.yamlsource import MAX_BYTES, MAX_DEPTH

MEMORY_CAP = 768 * 1024 * 1024  # the 584-byte file took 7 GB; a healthy run needs ~150 MB
SAKIP = Path(sys.executable).with_name("sakip")
DRIVER = Path(__file__).with_name("admin_upload_driver.py")
COOKIE_LIMIT = 4093  # what browsers keep of one cookie
CPU_CAP = 60  # seconds of CPU; a healthy run needs about two


def _billion_laughs() -> str:
    """Nine levels of nine aliases (9**9 "lol"s once expanded), the last used as a mapping key."""
    lines = ["units:", '  - &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for before, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  - &{name} [{', '.join([f'*{before}'] * 9)}]")
    return "\n".join([*lines, "people:", "  ? *i", "  : boom", ""])


@dataclass(frozen=True)
class Hostile:
    text: str
    line: int
    field: str
    reason: str


HOSTILE = {
    "billion-laughs": Hostile(_billion_laughs(), 2, "yaml", "anchor &a is not allowed"),
    "alias-as-key": Hostile("units: []\npeople:\n  ? *somebody\n  : x\n", 3, "yaml", "alias *somebody is not allowed"),
    "list-as-key": Hostile("units: []\npeople:\n  ? [a, b]\n  : x\n", 3, "yaml", "a key must be plain text"),
    "deep-nesting": Hostile("[" * 50_000, 1, "yaml", f"nested deeper than {MAX_DEPTH} levels"),
    "oversized": Hostile("units: []\npeople: []\n# " + "x" * MAX_BYTES + "\n", 0, "file", "larger than 1 MB"),
}


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_CAP, CPU_CAP))  # a runaway loop is killed, not waited for


@dataclass
class Setup:
    url: str
    db: Database
    sop_dir: Path
    tmp: Path

    def counts(self) -> dict[str, int]:
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            return {
                model.__name__: int(s.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Unit, Person, RoleAssignment, Cycle, Schedule, PlanNode, Indicator, TargetSet, DataEvent)
            }


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    url = f"sqlite:///{tmp_path / 'sakip.db'}"
    db = Database.from_url(url)
    schema.upgrade(db.engine)
    load_org_file(db)
    set_all_passwords(WorkflowService(db, SopRegistry.from_directory(SOP_DIR)), PASSWORD)
    sop_dir = tmp_path / "sop"
    shutil.copytree(SOP_DIR, sop_dir)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    yield Setup(url, db, sop_dir, tmp)
    db.dispose()


def _write(setup: Setup, kind: str) -> Path:
    path = setup.tmp.parent / f"{kind}.yaml"
    path.write_text(HOSTILE[kind].text, encoding="utf-8")
    return path


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "kind"),
    [("org", kind) for kind in HOSTILE] + [("schedule", "billion-laughs"), ("schedule", "deep-nesting")],
)
def test_the_cli_refuses_a_hostile_file_with_exit_5_and_its_line(setup: Setup, command: str, kind: str) -> None:
    path = _write(setup, kind)
    before = setup.counts()
    env = {**os.environ, "SAKIP_SOP_DIR": str(setup.sop_dir), "TMPDIR": str(setup.tmp)}
    run = subprocess.run(
        [str(SAKIP), command, "load", str(path), "--db", setup.url],
        capture_output=True, text=True, env=env, preexec_fn=_capped, timeout=300, check=False,
    )  # fmt: skip
    hostile = HOSTILE[kind]
    assert run.returncode == 5, run.stderr[-2000:]
    assert run.stderr.startswith(f"{path}:{hostile.line}: {hostile.field}: {hostile.reason}"), run.stderr[:2000]
    assert len(run.stderr) < 1000
    assert setup.counts() == before
    assert list(setup.tmp.iterdir()) == []


# --- the admin pages -------------------------------------------------------------------------


def _drive(setup: Setup, cases: list[dict[str, object]]) -> list[dict[str, object]]:
    """Post CASES to the admin pages in a process with capped memory and TMPDIR in setup.tmp."""
    cases_file = setup.tmp.parent / "cases.json"
    cases_file.write_text(json.dumps(cases), encoding="utf-8")
    env = {**os.environ, "TMPDIR": str(setup.tmp)}
    run = subprocess.run(
        [sys.executable, str(DRIVER), "--db", setup.url, "--sop-dir", str(setup.sop_dir), "--password", PASSWORD,
         str(cases_file)],
        capture_output=True, text=True, env=env, preexec_fn=_capped, timeout=600, check=False, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(results) == len(cases)
    return results


ENDPOINTS = {"/admin/org": "org.yaml", "/admin/schedule": "jadwal.yaml", "/admin/sop": "sop-baru.yaml"}


def test_the_admin_pages_refuse_hostile_files_clearly_load_nothing_and_leave_no_temp_file(setup: Setup) -> None:
    cases: list[dict[str, object]] = []
    for kind in HOSTILE:
        path = _write(setup, kind)
        for endpoint, name in ENDPOINTS.items():
            form = {"load": "1"} if endpoint == "/admin/sop" else {}
            cases.append({"endpoint": endpoint, "file": str(path), "name": name, "kind": kind, "form": form})
    before = setup.counts()
    sops_before = sorted(p.name for p in setup.sop_dir.iterdir())
    for result in _drive(setup, cases):
        hostile = HOSTILE[str(result["kind"])]
        assert result["status"] == 302, result
        if result["kind"] == "oversized":
            assert result["messages"] == [["danger", "Berkas terlalu besar (maksimum 1 MB)."]], result
        else:
            [[category, message]] = result["messages"]  # type: ignore[misc]
            assert category == "danger"
            assert message.startswith(f"{result['name']}:{hostile.line}: {hostile.field}: {hostile.reason}"), result
        assert int(result["cookie_bytes"]) < COOKIE_LIMIT  # type: ignore[call-overload]
    assert setup.counts() == before
    assert sorted(p.name for p in setup.sop_dir.iterdir()) == sops_before
    assert list(setup.tmp.iterdir()) == []


def test_a_file_with_thousands_of_long_problems_shows_the_first_few_within_one_cookie(setup: Setup) -> None:
    keys = [f"k{i:04d}{'x' * 995}" for i in range(900)]  # 900 unknown fields of 1,000 characters
    path = setup.tmp.parent / "many.yaml"
    path.write_text("".join(f"{key}: 1\n" for key in keys), encoding="utf-8")
    assert path.stat().st_size < MAX_BYTES
    [result] = _drive(setup, [{"endpoint": "/admin/org", "file": str(path), "name": "org.yaml"}])
    messages = [message for _, message in result["messages"]]  # type: ignore[attr-defined]
    assert 2 <= len(messages) <= 21
    assert messages[0].startswith("org.yaml:1: .k0000xxx") and len(messages[0]) <= 200
    shown = len(messages) - 1
    assert messages[-1] == f"... dan {902 - shown} masalah lain."  # 900 fields, units and people missing
    assert int(result["cookie_bytes"]) < COOKIE_LIMIT  # type: ignore[call-overload]
    assert list(setup.tmp.iterdir()) == []


# --- good files still load, and still leave nothing behind --------------------------------------


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert found, path
    return found.group(1)


@pytest.fixture
def app(setup: Setup) -> Iterator[Flask]:
    app = create_app(
        {"DATABASE_URL": setup.url, "SOP_DIR": str(setup.sop_dir), "SECRET_KEY": "test-secret", "TESTING": True}
    )
    yield app
    app.extensions["sakip_db"].dispose()


def test_good_files_load_through_the_admin_pages_and_leave_no_temp_file(
    setup: Setup, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(setup.tmp))
    client = app.test_client()
    login = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": _csrf(client, "/login")}
    )
    assert login.status_code == 302
    token = _csrf(client, "/admin/")
    sop = (SOP_DIR / "penyusunan-lkjip.v1.yaml").read_text(encoding="utf-8").replace("version: 1", "version: 9", 1)
    uploads = [
        ("/admin/org", ORG_FILE.read_bytes(), {}, "Organisasi dimuat: 2 unit"),
        ("/admin/schedule", (ROOT / "examples" / "schedule-mojokerto.yaml").read_bytes(), {}, "Jadwal dimuat."),
        ("/admin/sop", sop.encode(), {}, "Berkas valid: penyusunan-lkjip versi 9"),
        ("/admin/sop", sop.encode(), {"load": "1"}, "penyusunan-lkjip versi 9 dimuat."),
    ]
    for endpoint, data, form, expected in uploads:
        response = client.post(
            endpoint, data={"file": (io.BytesIO(data), "berkas.yaml"), "csrf_token": token, **form},
            content_type="multipart/form-data",
        )  # fmt: skip
        assert response.status_code == 302
        with client.session_transaction() as session:
            messages = [message for _, message in session.pop("_flashes", [])]
        assert len(messages) == 1 and messages[0].startswith(expected), (endpoint, messages)
        assert list(setup.tmp.iterdir()) == []
    assert setup.counts()["Cycle"] > 0
    assert (setup.sop_dir / "penyusunan-lkjip.v9.yaml").read_text(encoding="utf-8") == sop


# --- values YAML reads as dates or numbers ------------------------------------------------------

WITH_A_TIME = ORG_FILE.read_text(encoding="utf-8").replace(
    "{unit: kutorejo, role: camat, plt: true, from: 2025-06-01,", "{unit: kutorejo, role: camat, plt: true, "
    "from: 2025-06-01T10:00:00Z,", 1,
)  # fmt: skip
HUGE_LATENESS = (
    (ROOT / "examples" / "schedule-mojokerto.yaml")
    .read_text(encoding="utf-8")
    .replace("max_lateness_hours: 24 ", "max_lateness_hours: 99999999999999999999999 ", 1)
)
BASE_60_VALUE = "1" + ":59" * 100_000  # a YAML 1.1 integer (kept under the test client's 500 kB in memory)
BASE_60 = f"units:\n  - code: kutorejo\n    name: {BASE_60_VALUE}\n    kind: kecamatan\npeople: []\n"


def test_a_date_with_a_time_a_huge_number_or_a_long_base_60_number_is_a_file_error_on_the_admin_pages(
    setup: Setup, app: Flask
) -> None:
    assert WITH_A_TIME != ORG_FILE.read_text(encoding="utf-8") and "99999999999999999999999" in HUGE_LATENESS
    line = next(i for i, row in enumerate(WITH_A_TIME.splitlines(), start=1) if "T10:00:00Z" in row)
    client = app.test_client()
    login = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": _csrf(client, "/login")}
    )
    assert login.status_code == 302
    token = _csrf(client, "/admin/")
    before = setup.counts()
    for endpoint, text, expected in (
        ("/admin/org", WITH_A_TIME, f"berkas.yaml:{line}: people[1].roles[1].from: '2025-06-01T10:00:00+00:00' "
                                    "has a time of day; write a date (YYYY-MM-DD)"),
        ("/admin/schedule", HUGE_LATENESS, "berkas.yaml:8: reminders.max_lateness_hours: must be a whole number "
                                           "from 1 to 336"),
        ("/admin/org", BASE_60, "berkas.yaml:3: units[0].name: at most 200 characters, 300.001 given"),  # text
    ):  # fmt: skip
        response = client.post(
            endpoint, data={"file": (io.BytesIO(text.encode()), "berkas.yaml"), "csrf_token": token},
            content_type="multipart/form-data",
        )  # fmt: skip
        assert response.status_code == 302, (endpoint, response.status_code)
        with client.session_transaction() as session:
            messages = [message for _, message in session.pop("_flashes", [])]
        assert messages == [expected], (endpoint, messages)
    assert setup.counts() == before


def test_the_cli_refuses_a_date_with_a_time_with_exit_5_and_its_line(setup: Setup) -> None:
    path = setup.tmp.parent / "org.yaml"
    path.write_text(WITH_A_TIME, encoding="utf-8")
    line = next(i for i, row in enumerate(WITH_A_TIME.splitlines(), start=1) if "T10:00:00Z" in row)
    before = setup.counts()
    run = subprocess.run(
        [str(SAKIP), "org", "load", str(path), "--db", setup.url], capture_output=True, text=True,
        preexec_fn=_capped, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 5, run.stderr[-2000:]
    assert run.stderr.startswith(f"{path}:{line}: people[1].roles[1].from: '2025-06-01T10:00:00+00:00' has a time")
    assert "Traceback" not in run.stderr and setup.counts() == before


# --- XLSX through `sakip data import` ----------------------------------------------------------


def _damaged_workbook(path: Path, sheet_xml: Callable[[str], str]) -> None:
    """The example workbook with its Indikator sheet's XML rewritten by SHEET_XML."""
    with zipfile.ZipFile(ROOT / "examples" / "kutorejo-2024.xlsx") as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    parts["xl/worksheets/sheet2.xml"] = sheet_xml(parts["xl/worksheets/sheet2.xml"].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in parts.items():
            package.writestr(name, content)


def _million_rows(xml: str) -> str:
    """Claim the whole sheet (A1:XFD1048576) and put one cell in its last row."""
    xml = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml)
    last = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>a</t></is></c></row>'
    return xml.replace("</sheetData>", last + "</sheetData>")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_million_rows, "error: Indikator: lebih dari 50000 baris (termasuk baris kosong)"),
        (
            lambda xml: xml.replace("<row ", "<row <", 1),
            "error: file: rencana.xlsx bukan berkas XLSX yang dapat dibaca",
        ),
    ],
    ids=["a-million-rows", "broken-xml"],
)
def test_the_cli_refuses_a_hostile_workbook_with_exit_5_and_imports_nothing(
    setup: Setup, damage: Callable[[str], str], message: str
) -> None:
    path = setup.tmp.parent / "rencana.xlsx"
    _damaged_workbook(path, damage)
    before = setup.counts()
    run = subprocess.run(
        [str(SAKIP), "data", "import", str(path), "--unit", "kutorejo", "--year", "2024", "--as", "admin",
         "--db", setup.url],
        capture_output=True, text=True, env={**os.environ, "TMPDIR": str(setup.tmp)}, preexec_fn=_capped,
        timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 5, run.stderr[-2000:]
    assert run.stderr.startswith(message), run.stderr[:2000]
    assert setup.counts() == before


def test_a_scale_name_is_never_a_path(setup: Setup) -> None:
    """An indicator's Skala names a bundled scale; a long or path-like name is a bad row."""
    book = load_workbook(ROOT / "examples" / "kutorejo-2024.xlsx")
    sheet = book["Indikator"]
    column = [c.value for c in sheet[1]].index("Skala") + 1
    sheet.cell(2, column).value = "x" * 300  # longer than a file name may be
    path = setup.tmp.parent / "rencana.xlsx"
    book.save(path)
    before = setup.counts()
    run = subprocess.run(
        [str(SAKIP), "data", "import", str(path), "--unit", "kutorejo", "--year", "2024", "--as", "admin",
         "--db", setup.url],
        capture_output=True, text=True, preexec_fn=_capped, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 5, run.stderr[-2000:]
    # longer than the column it is stored in (a short unknown name is "tidak dikenal": test_indicators.py)
    assert run.stderr.startswith("Indikator baris 2: skala: at most 32 characters, 300 given"), run.stderr[:2000]
    assert setup.counts() == before
