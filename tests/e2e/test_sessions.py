"""Web sessions end on the server: a cookie copied before a logout, a password change, a
deactivation or a role removal, or one older than 8 hours since login, gets the login page."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from conftest import ORG_FILE, SOP_DIR, FrozenClock
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD, load_org_file
from sqlalchemy import select
from test_cli import sakip
from test_web_app import csrf_of, login

from web import create_app
from workflow.adapters.db import Database
from workflow.adapters.models import Person
from workflow.services.engine import WorkflowService
from workflow.services.org import AssignmentSpec, load_org, parse_org_file
from workflow.services.tokens import set_all_passwords
from workflow.sop.spec import SopRegistry

LOGIN_PAGE = "Masuk ke Alur SAKIP"


@dataclass
class Web:
    app: Flask
    service: WorkflowService
    clock: FrozenClock
    url: str


@pytest.fixture
def web(db_url: str, clock: FrozenClock) -> Iterator[Web]:
    db = Database.from_url(db_url)
    load_org_file(db)
    service = WorkflowService(db, SopRegistry.from_directory(SOP_DIR), clock=clock)
    set_all_passwords(service, PASSWORD)
    app = create_app(
        {"DATABASE_URL": db_url, "SOP_DIR": str(SOP_DIR), "SECRET_KEY": "test-secret", "TESTING": True,
         "CLOCK": clock}
    )  # fmt: skip
    yield Web(app, service, clock, db_url)
    app.extensions["sakip_db"].dispose()
    db.dispose()


def copied_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("sakip_session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str) -> FlaskClient:
    """A fresh browser presenting a copied session cookie."""
    client = app.test_client()
    client.set_cookie("sakip_session", cookie)
    return client


def assert_logged_in(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and LOGIN_PAGE not in response.get_data(as_text=True)


def assert_login_page(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert LOGIN_PAGE in client.get(response.headers["Location"]).get_data(as_text=True)


def session_version(web: Web, username: str) -> int:
    with web.service.db.unit_of_work(readonly=True) as uow:
        version = uow.session.scalar(select(Person.session_version).where(Person.username == username))
        assert version is not None
        return version


def test_a_cookie_replayed_after_logout_gets_the_login_page(web: Web) -> None:
    browser = login(web.app, "camat")
    other_device = login(web.app, "camat")
    assert_logged_in(browser)
    cookie = copied_cookie(browser)

    assert browser.post("/logout", data={"csrf_token": csrf_of(browser, "/")}).status_code == 302

    assert_login_page(replay(web.app, cookie))
    assert_login_page(other_device)  # the version is per person: every session of theirs ends
    assert_logged_in(login(web.app, "camat"))  # logging in again works


def test_a_cookie_replayed_after_a_password_change_gets_the_login_page(web: Web) -> None:
    browser = login(web.app, "camat")
    bystander = login(web.app, "sekcam")
    cookie = copied_cookie(browser)

    sakip("user", "password", "camat", "--password", "kata-sandi-baru-2", db=web.url)

    assert_login_page(replay(web.app, cookie))
    assert_login_page(browser)
    assert_logged_in(bystander)  # someone else's password change ends nobody else's session
    assert_logged_in(login(web.app, "camat", "kata-sandi-baru-2"))


def test_a_session_in_continuous_use_ends_8_hours_after_login(web: Web) -> None:
    browser = login(web.app, "camat")
    cookie = copied_cookie(browser)
    for _ in range(15):  # a request every half hour for 7.5 hours keeps it going...
        web.clock.advance(minutes=30)
        assert_logged_in(browser)
    web.clock.advance(minutes=29, seconds=59)
    assert_logged_in(browser)  # 7:59:59 after login

    web.clock.advance(seconds=1)  # ...but activity never extends it past 8 hours from login
    assert_login_page(browser)
    assert_login_page(replay(web.app, cookie))
    assert_logged_in(login(web.app, "camat"))  # a new login starts a new 8 hours


def test_deactivation_ends_the_sessions_and_the_logins(web: Web) -> None:
    browser = login(web.app, "camat")
    cookie = copied_cookie(browser)

    sakip("user", "deactivate", "camat", db=web.url)

    assert_login_page(replay(web.app, cookie))
    client = web.app.test_client()
    refused = client.post("/login", data={"username": "camat", "password": PASSWORD, "csrf_token": csrf_of(client)})
    assert refused.status_code == 401

    sakip("user", "activate", "camat", db=web.url)
    assert_login_page(replay(web.app, cookie))  # the old session stays ended
    assert_logged_in(login(web.app, "camat"))
    assert sakip("user", "deactivate", "nobody", db=web.url, expect=2).stderr


def test_a_role_removed_by_an_org_upload_ends_that_persons_sessions_only(web: Web, tmp_path: Path) -> None:
    removed = login(web.app, "tim.sakip1")
    kept = login(web.app, "kasi.pelayanan")
    admin = login(web.app, "admin")
    cookie = copied_cookie(removed)
    text = ORG_FILE.read_text(encoding="utf-8")
    asn = "      - {unit: kutorejo, role: asn}\n"
    tim_sakip1 = "      - {unit: kutorejo, role: tim_sakip}\n" + asn + "  - username: tim.sakip2"
    assert text.count(tim_sakip1) == 1
    edited = text.replace(tim_sakip1, tim_sakip1.replace(asn, ""))  # tim.sakip1 is no longer an asn

    def upload(body: str) -> None:
        data = {"file": (io.BytesIO(body.encode()), "org.yaml"), "csrf_token": csrf_of(admin, "/admin/")}
        assert admin.post("/admin/org", data=data, content_type="multipart/form-data").status_code == 302

    upload(text)  # the same file again: nobody loses anything, nobody is logged out
    assert_logged_in(removed)
    upload(edited)

    assert_login_page(removed)
    assert_login_page(replay(web.app, cookie))
    assert_logged_in(kept)
    assert_logged_in(admin)
    assert_logged_in(login(web.app, "tim.sakip1"))  # they may log in again, with the roles left


def test_an_org_load_bumps_exactly_the_people_who_lose_something(web: Web) -> None:
    org = parse_org_file(ORG_FILE)
    before = {p.username: session_version(web, p.username) for p in org.people}
    today = web.clock().date()
    people = []
    for p in org.people:
        if p.username == "sekcam":  # the Plt. Camat period is removed
            p = replace(p, assignments=tuple(a for a in p.assignments if a.role != "camat"))
        elif p.username == "kasubag":  # every role removed
            p = replace(p, assignments=())
        elif p.username == "kasi.trantib":  # a validity cut short counts as a removal
            p = replace(p, assignments=tuple(replace(a, valid_to=today) for a in p.assignments))
        elif p.username == "kasi.pelayanan":  # a role added takes nothing away
            extra = AssignmentSpec("kutorejo", "staf_perencanaan", None, False, None, None)
            p = replace(p, assignments=(*p.assignments, extra))
        elif p.username == "admin":  # no longer an administrator
            p = replace(p, is_admin=False)
        people.append(p)
    with web.service.db.unit_of_work() as uow:
        load_org(uow.session, replace(org, people=tuple(people)))
        uow.commit()

    bumped = {p.username for p in org.people if session_version(web, p.username) != before[p.username]}
    assert bumped == {"sekcam", "kasubag", "kasi.trantib", "admin"}
    assert all(session_version(web, u) == before[u] + 1 for u in bumped)


def test_a_cookie_from_before_the_upgrade_without_a_version_gets_the_login_page(web: Web) -> None:
    browser = login(web.app, "camat")
    with browser.session_transaction() as session:
        del session["sakip_sv"]
    assert_login_page(browser)
