"""The login limits, on a real SQLite file and a real PostgreSQL server: wrong passwords sent at
the same instant reach the password check at most the limit's number of times; one person's
typos behind an office's NAT address lock out only that person; failures from many addresses
stop guessing from new addresses but never lock a user out of the address they log in from."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from conftest import ORG_FILE, SOP_DIR, FrozenClock
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD, load_org_file, run_together
from sqlalchemy import func, select

import web.auth
from web import create_app
from web.auth import MAX_FAILURES, MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USER, WINDOW
from workflow.adapters.db import Database
from workflow.adapters.models import LoginAttempt
from workflow.services.engine import WorkflowService
from workflow.services.org import parse_org_file
from workflow.services.tokens import set_all_passwords
from workflow.sop.spec import SopRegistry

OFFICE = "10.20.30.40"  # the Kecamatan office, everyone behind one NAT address


@dataclass
class Site:
    app: Flask
    clock: FrozenClock
    db: Database
    checks: Counter[str]  # check_password_hash calls, by username tried


@pytest.fixture
def site(db_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    db = Database.from_url(db_url)
    load_org_file(db)
    set_all_passwords(WorkflowService(db, SopRegistry.from_directory(SOP_DIR), clock=clock), PASSWORD)
    app = create_app(
        {"DATABASE_URL": db_url, "SOP_DIR": str(SOP_DIR), "SECRET_KEY": "test-secret", "TESTING": True,
         "CLOCK": clock}
    )  # fmt: skip
    checks: Counter[str] = Counter()
    lock = threading.Lock()
    real_check = web.auth.check_password_hash

    def counted_check(pwhash: str, password: str) -> bool:
        with lock:
            checks[password] += 1
        return real_check(pwhash, password)

    monkeypatch.setattr(web.auth, "check_password_hash", counted_check)
    yield Site(app, clock, db, checks)
    app.extensions["sakip_db"].dispose()
    db.dispose()


def _csrf(client: FlaskClient, address: str) -> str:
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found
    return found.group(1)


def attempt(site: Site, username: str, password: str, address: str) -> int:
    client = site.app.test_client()
    data = {"username": username, "password": password, "csrf_token": _csrf(client, address)}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code


def at_once(site: Site, tries: list[tuple[str, str, str]]) -> Counter[int]:
    """Send every (username, password, address) login at the same instant; count the statuses."""
    prepared: list[Callable[[], int]] = []
    for username, password, address in tries:
        client = site.app.test_client()
        data = {"username": username, "password": password, "csrf_token": _csrf(client, address)}

        def post(client: FlaskClient = client, data: dict[str, str] = data, address: str = address) -> int:
            return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code

        prepared.append(post)
    statuses = run_together(prepared, timeout=300)
    assert all(isinstance(s, int) for s in statuses), statuses
    return Counter(s for s in statuses if isinstance(s, int))


def wrong(n: int) -> str:
    return f"salah-{n}"


def test_forty_wrong_passwords_at_once_from_one_address_reach_the_check_at_most_five_times(site: Site) -> None:
    statuses = at_once(site, [("camat", wrong(i), OFFICE) for i in range(40)])

    assert sum(site.checks.values()) == MAX_FAILURES, statuses  # not one more, and not fewer
    assert statuses == Counter({401: MAX_FAILURES, 429: 40 - MAX_FAILURES})
    # Only the attempts that reached the check are recorded; the refused ones are not.
    with site.db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count(LoginAttempt.id))) == MAX_FAILURES
    assert attempt(site, "camat", PASSWORD, OFFICE) == 429  # locked, the right password unchecked
    assert sum(site.checks.values()) == MAX_FAILURES
    site.clock.advance(seconds=WINDOW.total_seconds() + 1)
    assert attempt(site, "camat", PASSWORD, OFFICE) == 302


def test_forty_wrong_passwords_at_once_from_forty_addresses_reach_the_check_at_most_twenty_times(
    site: Site,
) -> None:
    statuses = at_once(site, [("camat", wrong(i), f"198.51.100.{i}") for i in range(40)])

    assert sum(site.checks.values()) == MAX_FAILURES_PER_USER, statuses
    assert statuses == Counter({401: MAX_FAILURES_PER_USER, 429: 40 - MAX_FAILURES_PER_USER})


def test_wrong_passwords_for_many_users_at_once_from_one_address_stop_at_the_address_ceiling(site: Site) -> None:
    users = [p.username for p in parse_org_file(ORG_FILE).people]
    tries = [(users[i % len(users)], wrong(i), OFFICE) for i in range(MAX_FAILURES_PER_ADDRESS + 20)]

    statuses = at_once(site, tries)

    # Each user could have 5 more (13 * 5 = 65): the address ceiling is what stops them.
    assert sum(site.checks.values()) == MAX_FAILURES_PER_ADDRESS, statuses
    assert statuses == Counter({401: MAX_FAILURES_PER_ADDRESS, 429: len(tries) - MAX_FAILURES_PER_ADDRESS})


def test_one_persons_typos_behind_the_office_nat_lock_out_only_that_person(site: Site) -> None:
    for i in range(MAX_FAILURES):
        assert attempt(site, "kasi.pelayanan", wrong(i), OFFICE) == 401
    assert attempt(site, "kasi.pelayanan", PASSWORD, OFFICE) == 429
    for username in ("camat", "sekcam", "kasi.trantib", "tim.sakip1"):  # the rest of the office
        assert attempt(site, username, PASSWORD, OFFICE) == 302
    assert attempt(site, "kasi.pelayanan", PASSWORD, "10.99.0.1") == 302  # from home, they may


def test_guessing_from_many_addresses_never_locks_a_user_out_of_their_own_office(site: Site) -> None:
    assert attempt(site, "camat", PASSWORD, OFFICE) == 302  # the Camat works from the office
    site.clock.advance(days=1)
    for i in range(MAX_FAILURES_PER_USER):  # a botnet, one try per address
        assert attempt(site, "camat", wrong(i), f"203.0.113.{i}") == 401
    assert attempt(site, "camat", wrong(99), "203.0.113.200") == 429  # the next new address is refused
    assert attempt(site, "camat", PASSWORD, "192.0.2.1") == 429  # so is the Camat, from a new place
    assert attempt(site, "camat", PASSWORD, OFFICE) == 302  # but not from the office


def test_refused_attempts_do_not_keep_the_lock_going(site: Site) -> None:
    for i in range(MAX_FAILURES):
        assert attempt(site, "sekcam", wrong(i), OFFICE) == 401
    for _ in range(14):  # someone keeps trying, once a minute
        site.clock.advance(minutes=1)
        assert attempt(site, "sekcam", wrong(0), OFFICE) == 429
    site.clock.advance(minutes=1, seconds=1)  # just over 15 minutes after the last checked failure
    assert attempt(site, "sekcam", PASSWORD, OFFICE) == 302
