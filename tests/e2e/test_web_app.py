"""The web app through Flask's test client: the authorization matrix generated from the route
table, CSRF, escaping, uploads, the login limit, cookies, and the JSON API driving a cycle."""

from __future__ import annotations

import atexit
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ORG_FILE, ROOT, SOP_DIR
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD, S4, advance_to, load_org_file
from openpyxl import load_workbook
from sqlalchemy import func, select

from web import create_app
from web.access import PUBLIC, RULES
from web.views import MONITOR_ROLES
from workflow.adapters import schema
from workflow.adapters.db import Database
from workflow.adapters.evidence import UploadSettings
from workflow.adapters.models import Evidence, Indicator, Instance, Person, RoleAssignment, Task, Unit
from workflow.services.demo import DEMO_VALUES
from workflow.services.engine import WorkflowService
from workflow.services.org import parse_org_file
from workflow.services.performance import PerformanceService, Submission
from workflow.services.tokens import create_token, set_all_passwords
from workflow.services.workbook import import_workbook
from workflow.sop.spec import SopRegistry

# People at the Kabupaten besides the org file's `organisasi` (Bagian Organisasi), and at a second
# Kabupaten: (username, unit, role). Only the monitoring roles of Kutorejo's own Kabupaten read its work.
KABUPATEN_PEOPLE = (
    ("kab.asn", "mojokerto", "asn"),
    ("kab.tim", "mojokerto", "tim_sakip"),  # a Kecamatan role, held at the Kabupaten: reads nothing below
    ("inspektur", "mojokerto", "inspektorat"),
    ("jombang.organisasi", "jombang", "bag_organisasi"),  # another Kabupaten's Bagian Organisasi
)
MONITORING = {"bag_organisasi", "inspektorat"}  # the Kabupaten roles that read a Kecamatan's work
USERS = (
    "camat", "sekcam", "kasubag", "staf", "kasi.pelayanan", "tim.sakip1", "organisasi", "admin",
    *(username for username, _unit, _role in KABUPATEN_PEOPLE),
)  # fmt: skip
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Site:
    app: Flask
    service: WorkflowService
    perf: PerformanceService
    instance_id: int
    entry_task_id: int  # kasi.pelayanan's open data-entry task
    evidence_id: int


@dataclass(frozen=True)
class _Built:
    """The state build_site starts from, built once per process: a SQLite file and its uploads."""

    db_file: Path
    uploads: Path
    instance_id: int
    entry_task_id: int
    evidence_id: int


_built: list[_Built] = []


def _build_once() -> _Built:
    if not _built:
        folder = Path(tempfile.mkdtemp(prefix="sakip-site-"))
        atexit.register(shutil.rmtree, folder, True)
        db_file, uploads = folder / "site.db", folder / "uploads"
        db = Database.from_url(f"sqlite:///{db_file}")
        schema.upgrade(db.engine)
        service = WorkflowService(db, SopRegistry.from_directory(SOP_DIR))
        load_org_file(db)
        _add_kabupaten_people(db)
        set_all_passwords(service, PASSWORD)
        import_workbook(db, ROOT / "examples" / "kutorejo-2024.xlsx", "kutorejo", 2024, "admin")
        instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
        advance_to(service, instance_id, "pengukuran_asn")
        perf = PerformanceService(db, service.registry, uploads=UploadSettings(uploads))
        entered = perf.submit(Submission("kasi.pelayanan", "KL-1", "2024-TW1", numerator="402", denominator="402",
                                         files=[("bukti.pdf", PDF)]))  # fmt: skip
        with db.unit_of_work(readonly=True) as uow:
            evidence_id = uow.session.scalar(select(Evidence.id))
            assert evidence_id is not None
        db.dispose()  # the WAL checkpointed into the file: a plain copy is the whole database
        _built.append(_Built(db_file, uploads, instance_id, int(entered["task_id"]), int(evidence_id)))
    return _built[0]


def build_site(url: str, uploads: Path, max_bytes: int = 10 * 1024 * 1024) -> Site:
    """A site at the start of Kutorejo's 2024-TW1 data entry: the organisation with the Kabupaten
    people, everyone's password, the 2024 workbook, and KL-1 entered by Kasi Pelayanan with one
    bukti dukung. Each call gets its own copy (database file and uploads) of one state built once."""
    built = _build_once()
    shutil.copyfile(built.db_file, url.removeprefix("sqlite:///"))
    shutil.copytree(built.uploads, uploads)
    db = Database.from_url(url)
    service = WorkflowService(db, SopRegistry.from_directory(SOP_DIR))
    settings = UploadSettings(uploads, max_bytes)
    perf = PerformanceService(db, service.registry, uploads=settings)
    app = create_app(
        {"DATABASE_URL": url, "SOP_DIR": str(SOP_DIR), "SECRET_KEY": "test-secret", "UPLOADS": settings,
         "TESTING": True}
    )  # fmt: skip
    return Site(app, service, perf, built.instance_id, built.entry_task_id, built.evidence_id)


def _add_kabupaten_people(db: Database) -> None:
    """KABUPATEN_PEOPLE, and the second Kabupaten (Jombang, with no Kecamatan here)."""
    with db.unit_of_work() as uow:
        s = uow.session
        s.add(Unit(code="jombang", name="Kabupaten Jombang", kind="kabupaten", timezone="Asia/Jakarta"))
        s.flush()
        units = {u.code: u.id for u in s.scalars(select(Unit))}
        for username, unit, role in KABUPATEN_PEOPLE:
            person = Person(username=username, name=username.title(), active=True, is_admin=False)
            s.add(person)
            s.flush()
            s.add(RoleAssignment(person_id=person.id, unit_id=units[unit], role=role, acting=False))
        uow.commit()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(f"sqlite:///{tmp_path / 'web.db'}", tmp_path / "uploads")
    yield built
    built.service.db.dispose()


def csrf_of(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(client)})
    assert response.status_code == 302, (username, response.status_code)
    return client


# --- the authorization matrix -------------------------------------------------------------


def _samples(site: Site) -> dict[str, dict[str, Any]]:
    """URL arguments for every endpoint that takes some; a new route must be added here."""
    instance, task, evidence = site.instance_id, site.entry_task_id, site.evidence_id
    return {
        "main.task": {"task_id": task},
        "main.act": {"task_id": task},
        "main.reassign": {"task_id": task},
        "main.realisasi": {"task_id": task},
        "main.entry": {"task_id": task},
        "main.preview": {"task_id": task},
        "main.evidence": {"evidence_id": evidence},
        "main.instance": {"instance_id": instance},
        "main.bagan": {"instance_id": instance},
        "main.sop_bpmn": {"key": S4, "version": 2},
        "main.sop_document": {"key": S4, "version": 2, "fmt": "pdf"},
        "main.instance_document": {"instance_id": instance, "document": "bukti", "fmt": "pdf"},
        "main.format_document": {
            "unit_code": "kutorejo",
            "period": "2024-TW1",
            "username": "kasi.pelayanan",
            "fmt": "pdf",
        },  # fmt: skip
        "main.tracker": {"instance_id": instance},
        "main.remind": {"instance_id": instance},
        "main.rekap": {"unit_code": "kutorejo", "period": "2024-TW1"},
        "main.overview": {"kabupaten": "mojokerto"},
        "main.dashboard": {"unit_code": "kutorejo", "year": 2024},
        "auth.language": {"code": "en"},
        "calendar_feed": {"token": "nope"},
        "api.act": {"task_id": task, "action": "done"},
        "api.history": {"instance_id": instance},
        "static": {"filename": "sakip.css"},
        "bootstrap.static": {"filename": "css/bootstrap.min.css"},
    }


# Harmless bodies for the POST routes: each reaches its authorization check, and an allowed user
# gets a refusal of the bad input (no state changes), never a 403.
POST_BODIES: dict[str, dict[str, str]] = {
    "main.act": {"action": "bogus"},
    "main.realisasi": {"code": "NOPE", "value": "1"},
    "main.entry": {"action": "save"},  # nothing typed: nothing saved
    "main.preview": {"code": "NOPE", "value-NOPE": "1"},
    "main.remind": {"username": "nobody"},
    "main.reassign": {"to": "nobody", "note": "uji"},
}


def _roles_in(site: Site) -> dict[str, dict[str, set[str]]]:
    """username -> unit code -> roles held now (from the organisation file)."""
    out: dict[str, dict[str, set[str]]] = {}
    for person in parse_org_file(ORG_FILE).people:
        for a in person.assignments:
            if a.valid_to is None:
                out.setdefault(person.username, {}).setdefault(a.unit, set()).add(a.role)
    for username, unit, role in KABUPATEN_PEOPLE:
        out.setdefault(username, {}).setdefault(unit, set()).add(role)
    return out


def _object_unit(endpoint: str) -> str:
    return "mojokerto" if endpoint == "main.overview" else "kutorejo"


def _expected(site: Site, endpoint: str, username: str | None) -> bool:
    rule = RULES[endpoint]
    if rule.kind == PUBLIC:
        return True
    if username is None:
        return False
    if rule.kind == "logged_in":
        if endpoint in ("main.task", "main.act", "main.realisasi", "main.entry", "main.preview"):
            return username in site.service.candidates(site.entry_task_id)
        return True
    if username == "admin":
        return "admin" in rule.roles or True
    held = _roles_in(site).get(username, {})
    unit = _object_unit(endpoint)
    roles = set(rule.roles)
    if endpoint == "main.format_document":  # one's own format; anyone's for those who hand them out
        if username == _samples(site)[endpoint]["username"]:
            return True
        roles = set(MONITOR_ROLES)
    if held.get(unit, set()) & roles:  # the unit's own people holding one of the route's roles
        return True
    # From the Kabupaten above Kutorejo, only its monitoring roles, and only on reading routes.
    return rule.above and unit == "kutorejo" and bool(held.get("mojokerto", set()) & MONITORING)


def test_every_route_has_a_rule_and_the_matrix_holds_for_every_role(site: Site) -> None:
    app = site.app
    endpoints = sorted({r.endpoint for r in app.url_map.iter_rules()})
    missing = [e for e in endpoints if e not in RULES]
    assert missing == [], f"routes without an access rule: {missing}"
    samples = _samples(site)
    clients: dict[str | None, FlaskClient] = {None: app.test_client()}
    clients.update({u: login(app, u) for u in USERS})
    checked = 0
    for url_rule in app.url_map.iter_rules():
        endpoint = url_rule.endpoint
        if endpoint.startswith("api."):
            continue  # the API authenticates by token: see the API tests
        args = {a: samples[endpoint][a] for a in url_rule.arguments} if url_rule.arguments else {}
        assert set(url_rule.arguments) <= set(samples.get(endpoint, {})), f"add sample arguments for {endpoint}"
        path = url_rule.build(args, append_unknown=False)[1]  # type: ignore[index]
        method = "POST" if "POST" in (url_rule.methods or set()) else "GET"
        for username, client in clients.items():
            if endpoint == "auth.logout" or (endpoint == "auth.login" and method == "POST"):
                continue  # checked in their own tests: they end or start the session
            if method == "POST":
                data = dict(POST_BODIES.get(endpoint, {}))
                data["csrf_token"] = csrf_of(client, "/login" if username is None else "/")
                response = client.post(path, data=data)
            else:
                response = client.get(path)
            response.close()  # a static file answers with an open file
            allowed = _expected(site, endpoint, username)
            status = response.status_code
            where = (endpoint, username, status)
            if allowed:
                assert status != 403 and status < 500, where
            elif username is None:
                assert status == 302 and "/login" in response.headers["Location"], where
            else:
                assert status == 403, where
            checked += 1
    assert checked > 150  # every route, every role


def _kecamatan_read_paths(site: Site) -> dict[str, list[str]]:
    """Every page that reads a Kecamatan's work, from the route table: each GET route with a role
    rule whose object is Kutorejo's (with every kind of instance document)."""
    samples = _samples(site)
    paths: dict[str, list[str]] = {}
    for url_rule in site.app.url_map.iter_rules():
        endpoint = url_rule.endpoint
        if "POST" in (url_rule.methods or set()) or RULES[endpoint].kind != "roles":
            continue
        if not endpoint.startswith("main.") or _object_unit(endpoint) != "kutorejo":
            continue
        variants = [samples[endpoint]]
        if endpoint == "main.instance_document":
            variants = [
                dict(samples[endpoint], document=d, fmt=f)
                for d, f in (("laporan", "pdf"), ("laporan", "docx"), ("bukti", "pdf"), ("nota-dinas", "pdf"))
            ]
        if endpoint == "main.format_document":
            variants += [dict(samples[endpoint], fmt="xlsx")]
        paths[endpoint] = [url_rule.build(v, append_unknown=False)[1] for v in variants]  # type: ignore[index]
    return paths


def test_at_the_kabupaten_only_the_monitoring_roles_read_a_kecamatans_work(site: Site) -> None:
    paths = _kecamatan_read_paths(site)
    assert {"main.instance", "main.bagan", "main.instance_document", "main.evidence", "main.format_document",
            "main.tracker", "main.rekap", "main.dashboard"} <= set(paths)  # fmt: skip
    readers = ("organisasi", "inspektur")  # Bagian Organisasi and Inspektorat of Mojokerto
    refused = ("kab.asn", "kab.tim", "jombang.organisasi")  # any other Kabupaten role; another Kabupaten's
    clients = {u: login(site.app, u) for u in readers + refused}
    for endpoint, urls in paths.items():
        for url in urls:
            for username, client in clients.items():
                status = client.get(url).status_code
                assert status == (200 if username in readers else 403), (endpoint, url, username, status)
    # The instance page links the tracker and the Kertas Kerja for a monitoring role, by the same rule.
    page = clients["inspektur"].get(f"/instances/{site.instance_id}").get_data(as_text=True)
    assert f"/instances/{site.instance_id}/tracker" in page
    # The API answers the same: an instance's history for its own people and the monitoring roles only.
    for username, expected in (("kasi.pelayanan", 200), ("organisasi", 200), ("inspektur", 200), ("kab.asn", 403),
                               ("kab.tim", 403), ("jombang.organisasi", 403)):  # fmt: skip
        token = create_token(site.service, username)
        response = site.app.test_client().get(
            f"/api/v1/instances/{site.instance_id}/history", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == expected, (username, response.status_code)


def test_above_is_refused_on_a_route_that_changes_something() -> None:
    from flask import Blueprint

    from web.access import register_rules, rule

    app = Flask(__name__)
    bp = Blueprint("probe", __name__)

    @bp.post("/probe/<int:unit_id>")
    @rule("asn", above=True)
    def probe(unit_id: int) -> str:
        return "changed"

    app.register_blueprint(bp)
    saved = dict(RULES)  # the table of the real app, which register_rules replaces
    try:
        with pytest.raises(ValueError, match="above=True is for reading routes only"):
            register_rules(app)
    finally:
        RULES.clear()
        RULES.update(saved)


# --- CSRF, escaping, uploads, login, cookies -----------------------------------------------


def test_a_post_without_its_csrf_token_is_rejected_and_changes_nothing(site: Site) -> None:
    client = login(site.app, "camat")
    with site.service.db.unit_of_work(readonly=True) as uow:
        open_before = uow.session.scalar(select(func.count(Task.id)).where(Task.status == "open"))
    response = client.post(f"/tasks/{site.entry_task_id}/act", data={"action": "done"})
    assert response.status_code == 400
    client2 = login(site.app, "kasi.pelayanan")
    assert client2.post(f"/tasks/{site.entry_task_id}/act", data={"action": "done"}).status_code == 400
    with site.service.db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count(Task.id)).where(Task.status == "open")) == open_before


def test_script_in_a_note_or_an_indicator_name_is_escaped(site: Site) -> None:
    evil = "<script>alert('x')</script>"
    with site.service.db.unit_of_work() as uow:
        indicator = uow.session.scalar(select(Indicator).where(Indicator.code == "KL-1"))
        assert indicator is not None
        indicator.name = f"Pelayanan {evil}"
        uow.commit()
    client = login(site.app, "kasi.pelayanan")
    token = csrf_of(client, f"/tasks/{site.entry_task_id}")
    client.post(f"/tasks/{site.entry_task_id}/realisasi",
                data={"code": "7.01.02.2.04", "value": "101", "note": evil, "csrf_token": token})  # fmt: skip
    entry = client.get(f"/tasks/{site.entry_task_id}").get_data(as_text=True)
    timeline = client.get(f"/instances/{site.instance_id}").get_data(as_text=True)
    for page in (entry, timeline):
        assert evil not in page
        assert "&lt;script&gt;" in page


def test_an_oversized_or_disguised_upload_is_refused_with_a_message_and_nothing_stored(tmp_path: Path) -> None:
    site = build_site(f"sqlite:///{tmp_path / 'u.db'}", tmp_path / "uploads", max_bytes=2048)
    client = login(site.app, "kasi.pelayanan")
    page = f"/tasks/{site.entry_task_id}"
    before = sorted(p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file())
    for name, data, reason in (
        ("besar.pdf", b"%PDF-1.4\n" + b"0" * 4096, "melebihi batas"),
        ("bukti.pdf", b"MZ\x90\x00" + b"\x00" * 64, "program"),
    ):
        response = client.post(
            f"{page}/realisasi",
            data={"code": "7.01.02.2.04", "value": "101", "csrf_token": csrf_of(client, page),
                  "evidence": (__import__("io").BytesIO(data), name)},
            content_type="multipart/form-data",
        )  # fmt: skip
        assert response.status_code == 302
        shown = client.get(page).get_data(as_text=True)
        assert reason in shown and "entry-error" in shown
    with site.service.db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count(Evidence.id))) == 1  # only the fixture's own bukti
        assert uow.session.scalar(select(Instance.state).where(Instance.id == site.instance_id)) == "pengukuran_asn"
    assert sorted(p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file()) == before
    site.service.db.dispose()


def test_logins_are_limited_after_five_failures_and_a_wrong_password_is_refused(site: Site) -> None:
    client = site.app.test_client()
    for _ in range(5):
        bad = client.post("/login", data={"username": "sekcam", "password": "salah", "csrf_token": csrf_of(client)})
        assert bad.status_code == 401
    locked = client.post("/login", data={"username": "sekcam", "password": PASSWORD, "csrf_token": csrf_of(client)})
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan" in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not logged in


def test_session_cookie_is_httponly_and_samesite_and_remember_me_is_off(site: Site) -> None:
    client = site.app.test_client()
    response = client.post("/login", data={"username": "camat", "password": PASSWORD, "csrf_token": csrf_of(client)})
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("sakip_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert not any(c.startswith("remember_token=") for c in cookies)


def test_the_plt_switch_shows_on_every_page_and_is_recorded_in_the_action(tmp_path: Path) -> None:
    site = build_site(f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "uploads")
    from workflow.adapters.models import Person, RoleAssignment

    with site.service.db.unit_of_work() as uow:
        s = uow.session
        sekcam = s.scalar(select(Person).where(Person.username == "sekcam"))
        unit = s.scalar(select(Unit).where(Unit.code == "kutorejo"))
        assert sekcam is not None and unit is not None
        s.add(RoleAssignment(person_id=sekcam.id, unit_id=unit.id, role="camat", acting=True))
        uow.commit()
    second = site.service.start(S4, "kutorejo", "2024-TW2", "camat").instance_id
    nota = site.service.status(second).waiting_on[0].task_id
    client = login(site.app, "sekcam")
    home = client.get("/").get_data(as_text=True)
    assert 'id="plt-switch"' in home and f'data-task="{nota}"' not in home  # not acting: not shown
    client.post("/plt", data={"csrf_token": csrf_of(client, "/"), "next": "/"})
    acting_home = client.get("/").get_data(as_text=True)
    assert 'id="plt-badge"' in acting_home and f'data-task="{nota}"' in acting_home
    assert 'id="plt-badge"' in client.get(f"/instances/{second}").get_data(as_text=True)
    client.post(f"/tasks/{nota}/act", data={"action": "done", "csrf_token": csrf_of(client, "/")})
    event = next(e for e in site.service.history(second) if e.action == "done")
    assert (event.actor, event.acting_for) == ("sekcam", "camat")
    site.service.db.dispose()


# --- the JSON API --------------------------------------------------------------------------


def test_the_api_drives_a_cycle_with_tokens_and_answers_401_403_409_422(site: Site) -> None:
    client = site.app.test_client()
    tokens = {u: create_token(site.service, u) for u in ("camat", "sekcam", "tim.sakip1", "kasi.trantib")}

    def call(method: str, path: str, user: str | None, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
        return client.open(path, method=method, json=body, headers=headers)

    assert call("GET", "/api/v1/tasks", None).status_code == 401
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"}).status_code == 401
    started = call("POST", "/api/v1/instances", "camat", {"sop_key": S4, "unit": "kutorejo", "period": "2024-TW2"})
    assert started.status_code == 201
    instance_id = started.get_json()["instance_id"]
    assert call("POST", "/api/v1/instances", "camat", {"sop_key": S4, "unit": "kutorejo"}).status_code == 422
    again = call("POST", "/api/v1/instances", "camat", {"sop_key": S4, "unit": "kutorejo", "period": "2024-TW2"})
    assert again.status_code == 409
    tasks = call("GET", "/api/v1/tasks", "camat").get_json()
    nota = next(t for t in tasks if t["instance_id"] == instance_id)
    assert set(nota) >= {"id", "step_id", "actions", "due_at"} and nota["step_id"] == "nota_dinas"
    assert call("POST", f"/api/v1/tasks/{nota['id']}/done", "kasi.trantib", {}).status_code == 403
    assert call("POST", f"/api/v1/tasks/{nota['id']}/done", "camat", {"note": 5}).status_code == 422
    done = call("POST", f"/api/v1/tasks/{nota['id']}/done", "camat", {"note": "Nota Dinas 065/1/416-307/2024"})
    assert done.status_code == 200
    assert done.get_json()["task"]["status"] == "done" and done.get_json()["instance"]["state"] == "rapat_arahan"
    assert call("POST", f"/api/v1/tasks/{nota['id']}/done", "camat", {}).status_code == 409
    rapat = next(t for t in call("GET", "/api/v1/tasks", "sekcam").get_json() if t["instance_id"] == instance_id)
    assert call("POST", f"/api/v1/tasks/{rapat['id']}/done", "sekcam", {}).status_code == 200
    history = call("GET", f"/api/v1/instances/{instance_id}/history", "tim.sakip1").get_json()
    assert [e["action"] for e in history] == ["start", "done", "done"]
    assert call("GET", "/api/v1/instances/999999/history", "camat").status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(spec["paths"]) == {
        "/api/v1/tasks", "/api/v1/tasks/{task_id}/{action}", "/api/v1/instances/{instance_id}/history",
        "/api/v1/instances",
    }  # fmt: skip


def test_data_entry_page_shows_targets_and_inline_errors_in_indonesian(site: Site) -> None:
    client = login(site.app, "kasi.pelayanan")
    page = f"/tasks/{site.entry_task_id}"
    html = client.get(page).get_data(as_text=True)
    assert 'id="row-KL-1"' in html and 'id="row-7.01.02.2.04"' in html
    client.post(
        f"{page}/realisasi", data={"code": "7.01.02.2.04", "value": "1.234", "csrf_token": csrf_of(client, page)}
    )
    shown = client.get(page).get_data(as_text=True)
    assert "dapat dibaca dua cara" in shown
    value = DEMO_VALUES["7.01.02.2.04"][0]
    saved = client.post(f"{page}/realisasi", data={"code": "7.01.02.2.04", "value": value, "note": "Register PATEN",
                                                   "csrf_token": csrf_of(client, page)})  # fmt: skip
    assert saved.status_code == 302
    assert 'data-status="draf"' in client.get(page).get_data(as_text=True)  # saved, not yet sent


def test_english_is_selectable_and_indonesian_is_the_default(site: Site) -> None:
    client = site.app.test_client()
    assert "Masuk ke Alur SAKIP" in client.get("/login").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_of(client), "next": "/login"})
    assert "Log in to Alur SAKIP" in client.get("/login").get_data(as_text=True)


def test_every_ui_string_has_an_english_translation_and_the_compiled_catalogue_is_current(tmp_path: Path) -> None:
    import subprocess
    import sys

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    web = ROOT / "web"
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).with_name("pybabel")), "extract", "-F", str(web / "babel.cfg"), "-k", "_",
         "-o", str(pot), str(web)],
        check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    po_path = web / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    with po_path.with_suffix(".mo").open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert wanted - set(po) == set(), "run web/translations/build.py"
    assert [m for m in wanted if not po[m]] == []
    assert mo == po  # the .mo is compiled from this .po


def test_kirim_pengingat_reaches_the_person_once_a_day(site: Site) -> None:
    client = login(site.app, "tim.sakip1")
    page = f"/instances/{site.instance_id}/tracker"
    tracker = client.get(page).get_data(as_text=True)
    assert "Kirim pengingat" in tracker and 'value="kasi.trantib"' in tracker
    first = client.post(f"{page}/remind", data={"username": "kasi.trantib", "csrf_token": csrf_of(client, page)})
    assert first.status_code == 302
    second = client.post(f"{page}/remind", data={"username": "kasi.trantib", "csrf_token": csrf_of(client, page)})
    assert second.status_code == 302
    assert "sudah dikirim hari ini" in client.get(page).get_data(as_text=True)
    trantib = login(site.app, "kasi.trantib")
    home = trantib.get("/").get_data(as_text=True)
    assert home.count("Pengingat dari Tim SAKIP") == 1 and "7.01.06.2.01.11" in home  # what they still owe
    reminds = [e for e in site.service.history(site.instance_id) if e.action == "remind"]
    assert [(e.actor, e.note) for e in reminds] == [("tim.sakip1", "pengingat kepada kasi.trantib")]


def test_a_signed_report_whose_content_changes_later_shows_a_mismatch(site: Site) -> None:
    service, perf = site.service, site.perf
    for waiting in service.status(site.instance_id).waiting_on:
        user = waiting.assignee or ""
        for code in perf.owed(waiting.task_id):
            raw = DEMO_VALUES[code][0]
            if raw is None:
                sub = Submission(user, code, "2024-TW1", pending=True)
            elif "/" in raw:
                top, bottom = raw.split("/")
                sub = Submission(user, code, "2024-TW1", numerator=top, denominator=bottom, note="-")
            else:
                sub = Submission(user, code, "2024-TW1", value=raw, note="-")
            perf.submit(sub)
        service.act(waiting.task_id, "done", user)
    advance_to(service, site.instance_id, "lapor_camat")
    sign_task = service.status(site.instance_id).waiting_on[0].task_id
    camat = login(site.app, "camat")
    sign_page = camat.get(f"/tasks/{sign_task}").get_data(as_text=True)
    shown_hash = re.search(r'id="doc-hash">([0-9a-f]{64})<', sign_page)
    assert shown_hash is not None
    camat.post(f"/tasks/{sign_task}/act", data={"action": "sign", "csrf_token": csrf_of(camat, "/")})
    page = camat.get(f"/instances/{site.instance_id}").get_data(as_text=True)
    assert "sig-ok" in page and shown_hash.group(1)[:16] in page
    # Someone changes the data behind the signed report: the mismatch shows.
    with service.db.unit_of_work() as uow:
        from workflow.adapters.models import Realisasi

        row = uow.session.scalar(select(Realisasi).where(Realisasi.period == "2024-TW1").limit(1))
        assert row is not None
        row.note = "diubah setelah ditandatangani"
        uow.commit()
    page = camat.get(f"/instances/{site.instance_id}").get_data(as_text=True)
    assert "sig-mismatch" in page and "sig-ok" not in page


def test_the_kabupaten_overview_shows_who_is_late_and_by_how_much(tmp_path: Path) -> None:
    from datetime import timedelta

    from workflow.adapters.models import Cycle

    site = build_site(f"sqlite:///{tmp_path / 'o.db'}", tmp_path / "uploads")
    now = site.service.clock()
    with site.service.db.unit_of_work() as uow:
        s = uow.session
        kabupaten = s.scalar(select(Unit).where(Unit.code == "mojokerto"))
        assert kabupaten is not None
        cycle = Cycle(kabupaten_id=kabupaten.id, sop_key=S4, period="2024-TW1",
                      opens_at=now - timedelta(days=20), deadline_at=now - timedelta(days=3, hours=5))  # fmt: skip
        s.add(cycle)
        s.flush()
        instance = s.get(Instance, site.instance_id)
        assert instance is not None
        instance.cycle_id = cycle.id
        uow.commit()
    client = login(site.app, "organisasi")
    html = client.get("/overview/mojokerto").get_data(as_text=True)
    assert 'id="late-count">1<' in html
    assert "terlambat 3 hari 5 jam" in html and "Pengukuran capaian oleh seluruh ASN" in html
    assert login(site.app, "camat").get("/overview/mojokerto").status_code == 403
    site.service.db.dispose()


def test_an_admin_upload_of_a_bad_organisation_file_loads_nothing_and_names_the_line(site: Site) -> None:
    import io

    client = login(site.app, "admin")
    with site.service.db.unit_of_work(readonly=True) as uow:
        units_before = uow.session.scalar(select(func.count(Unit.id)))
    bad = b"units:\n  - code: BAD CODE\n    name: x\n    kind: kecamatan\npeople: []\n"
    response = client.post(
        "/admin/org", data={"file": (io.BytesIO(bad), "org.yaml"), "csrf_token": csrf_of(client, "/admin/")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert "org.yaml:2: units[0].code" in page  # the uploaded file's own name and line
    with site.service.db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count(Unit.id))) == units_before


@pytest.mark.parametrize("target", ["/\\evil.example", "/%5Cevil.example", "//evil.example", "https://evil.example"])
def test_login_never_redirects_off_site(site: Site, target: str) -> None:
    client = site.app.test_client()
    token = csrf_of(client, "/login")
    response = client.post(
        f"/login?next={target}", data={"username": "camat", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_failures_from_elsewhere_do_not_lock_a_user_out(site: Site) -> None:
    attacker = site.app.test_client()
    for _ in range(6):
        attacker.post("/login", data={"username": "camat", "password": "salah", "csrf_token": csrf_of(attacker)},
                      environ_base={"REMOTE_ADDR": "10.9.9.9"})  # fmt: skip
    locked = attacker.post("/login", data={"username": "camat", "password": PASSWORD, "csrf_token": csrf_of(attacker)},
                           environ_base={"REMOTE_ADDR": "10.9.9.9"})  # fmt: skip
    assert locked.status_code == 429
    assert login(site.app, "camat").get("/").status_code == 200  # the Camat's own address is not locked


def test_a_revoked_api_token_is_refused(site: Site) -> None:
    from workflow.services.tokens import revoke_tokens

    token = create_token(site.service, "camat")
    client = site.app.test_client()
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert revoke_tokens(site.service, "camat") == 1
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_plt_holder_not_switched_to_acting_acts_as_plt_by_the_services_rule(tmp_path: Path) -> None:
    site = build_site(f"sqlite:///{tmp_path / 'q.db'}", tmp_path / "uploads")
    from workflow.adapters.models import Person, RoleAssignment

    with site.service.db.unit_of_work() as uow:
        s = uow.session
        sekcam = s.scalar(select(Person).where(Person.username == "sekcam"))
        unit = s.scalar(select(Unit).where(Unit.code == "kutorejo"))
        assert sekcam is not None and unit is not None
        s.add(RoleAssignment(person_id=sekcam.id, unit_id=unit.id, role="camat", acting=True))
        uow.commit()
    second = site.service.start(S4, "kutorejo", "2024-TW2", "camat").instance_id
    nota = site.service.status(second).waiting_on[0].task_id
    client = login(site.app, "sekcam")
    # The switch only chooses what the inbox shows; the service decides which holding acts (#13).
    home = client.get("/").get_data(as_text=True)
    assert f'data-task="{nota}"' not in home
    done = client.post(f"/tasks/{nota}/act", data={"action": "done", "csrf_token": csrf_of(client, "/")})
    assert done.status_code == 302
    assert site.service.status(second).state != "nota_dinas"
    event = site.service.history(second)[-1]
    assert (event.actor, event.role, event.acting_for) == ("sekcam", "camat", "camat")
    site.service.db.dispose()


def test_refused_actions_are_explained_in_indonesian(site: Site) -> None:
    _advance_entry_done = site.service.status(site.instance_id)
    assert _advance_entry_done.state == "pengukuran_asn"
    client = login(site.app, "kasi.pelayanan")
    page = f"/tasks/{site.entry_task_id}"
    client.post(f"{page}/act", data={"action": "done", "csrf_token": csrf_of(client, page)})
    shown = client.get(page).get_data(as_text=True)
    assert "realisasi: belum lengkap untuk 2024-TW1" in shown
    for code, raw in (("7.01.02.2.04", "101"), ("7.01.02.2.04.02", "4")):
        site.perf.submit(Submission("kasi.pelayanan", code, "2024-TW1", value=raw, note="-"))
    client.post(f"{page}/act", data={"action": "done", "csrf_token": csrf_of(client, page)})
    client.post(f"{page}/act", data={"action": "done", "csrf_token": csrf_of(client, "/")})
    again = client.get(f"/instances/{site.instance_id}").get_data(as_text=True)
    assert f"tugas {site.entry_task_id} sudah selesai oleh kasi.pelayanan" in again
    assert "is already done" not in again


def test_the_instance_page_links_its_documents_and_they_download_as_pdf_and_docx(site: Site) -> None:
    client = login(site.app, "sekcam")
    page = client.get(f"/instances/{site.instance_id}").get_data(as_text=True)
    links = [(f"/instances/{site.instance_id}/{d}.pdf", b"%PDF-") for d in ("nota-dinas", "bukti", "laporan")]
    links += [(f"/instances/{site.instance_id}/{d}.docx", b"PK") for d in ("nota-dinas", "laporan")]
    links += [(f"/sop/{S4}/v3.pdf", b"%PDF-"), (f"/sop/{S4}/v3.docx", b"PK")]  # the version it runs on
    for link, magic in links:
        assert link in page
        response = client.get(link)
        assert response.status_code == 200 and response.data.startswith(magic), link
        assert response.headers["Content-Disposition"].endswith(link.rsplit(".", 1)[1] + '"')
    assert client.get(f"/instances/{site.instance_id}/bukti.docx").status_code == 404  # the bukti is PDF only
    assert "/rekap/kutorejo/2024-TW1" in page
    kasi_page = login(site.app, "kasi.pelayanan").get(f"/instances/{site.instance_id}").get_data(as_text=True)
    assert "/rekap/" not in kasi_page and "/tracker" not in kasi_page  # no links to pages they may not open
    with site.service.db.unit_of_work(readonly=True) as uow:
        first = uow.session.scalar(
            select(Task.id).where(Task.instance_id == site.instance_id).order_by(Task.id).limit(1)
        )
    nota = login(site.app, "camat").get(f"/tasks/{first}").get_data(as_text=True)  # the Camat's Nota Dinas step
    assert f"/instances/{site.instance_id}/nota-dinas.docx" in nota
    admin = login(site.app, "admin").get("/admin/").get_data(as_text=True)
    assert all(f"/sop/{S4}/v{n}.docx" in admin for n in (1, 2, 3)) and f"/sop/{S4}/v1.pdf" in admin


def test_a_kasi_downloads_their_own_format_and_the_tim_sakip_anyones(site: Site) -> None:
    kasi = login(site.app, "kasi.pelayanan")
    page = kasi.get(f"/tasks/{site.entry_task_id}").get_data(as_text=True)
    own = "/format/kutorejo/2024-TW1/kasi.pelayanan"
    assert f"{own}.pdf" in page and f"{own}.xlsx" in page
    pdf = kasi.get(f"{own}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    xlsx = kasi.get(f"{own}.xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    codes = {row[1] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert "KL-1" in codes  # the Kasi Pelayanan answers for KL-1 (org file)
    other = "/format/kutorejo/2024-TW1/kasi.pemerintahan.pdf"
    assert kasi.get(other).status_code == 403  # not another Kasi's
    tim = login(site.app, "tim.sakip1")
    tracker = tim.get(f"/instances/{site.instance_id}/tracker").get_data(as_text=True)
    assert f"{own}.xlsx" in tracker
    assert tim.get(f"{own}.xlsx").status_code == 200


def test_a_leader_reassigns_the_task_of_an_asn_who_left_from_the_instance_page(site: Site) -> None:
    from datetime import date

    from workflow.adapters.models import Person, RoleAssignment

    waiting = {w.assignee: w.task_id for w in site.service.status(site.instance_id).waiting_on}
    task_id = waiting["tim.sakip2"]
    with site.service.db.unit_of_work() as uow:
        s = uow.session
        person_id = s.scalar(select(Person.id).where(Person.username == "tim.sakip2"))
        for assignment in s.scalars(
            select(RoleAssignment).where(RoleAssignment.person_id == person_id, RoleAssignment.role == "asn")
        ):
            assignment.valid_to = date(2024, 1, 1)  # mutasi: no longer an ASN of Kutorejo
        uow.commit()
    page = f"/instances/{site.instance_id}"
    tim = login(site.app, "tim.sakip1")
    shown = tim.get(page).get_data(as_text=True)
    assert f'id="stuck-{task_id}"' in shown and f"/tasks/{task_id}/reassign" not in shown  # not a leader
    assert tim.post(f"/tasks/{task_id}/reassign", data={"csrf_token": csrf_of(tim, page)}).status_code == 403
    sekcam = login(site.app, "sekcam")
    shown = sekcam.get(page).get_data(as_text=True)
    assert f"/tasks/{task_id}/reassign" in shown and "<option>kasubag</option>" in shown
    token = csrf_of(sekcam, page)
    refused = sekcam.post(f"/tasks/{task_id}/reassign", data={"csrf_token": token, "to": "kasubag", "note": ""},
                          follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "catatan: tuliskan alasan tugas dialihkan" in refused
    done = sekcam.post(f"/tasks/{task_id}/reassign", data={"csrf_token": token, "to": "kasubag", "note": "Mutasi"},
                       follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert f"Tugas {task_id} dialihkan kepada kasubag." in done and f'id="stuck-{task_id}"' not in done
    assert site.service.candidates(task_id) == ["kasubag"]
    assert any(v.id == task_id for v in site.service.tasks_for("kasubag"))


def test_a_broken_office_template_is_a_notice_in_indonesian_not_an_error_page(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from docx import Document

    from workflow.services.documents import TEMPLATES

    monkeypatch.setenv("SAKIP_TEMPLATE_DIR", str(tmp_path / "tpl"))
    (tmp_path / "tpl" / "kutorejo").mkdir(parents=True)
    broken = Document(str(TEMPLATES / "nota_dinas.docx"))
    broken.add_paragraph("{{ 1/0 }}")
    broken.save(str(tmp_path / "tpl" / "kutorejo" / "nota_dinas.docx"))
    client = login(site.app, "sekcam")
    response = client.get(f"/instances/{site.instance_id}/nota-dinas.docx")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "templat Word kutorejo/nota_dinas.docx: ada isian yang tidak dapat diisi" in page
    assert str(tmp_path) not in page  # the server's folders are not shown
    bad_period = client.get("/format/kutorejo/2024-XX/kasi.pelayanan.pdf", follow_redirects=True)
    assert (
        bad_period.status_code == 200
        and "periode: &#39;2024-XX&#39; harus berbentuk TAHUN-TWn" in bad_period.get_data(as_text=True)
    )
