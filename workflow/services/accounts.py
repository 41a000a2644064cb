"""Accounts for the web and the API: login attempts and their limits, the person behind a session
or a login, sessions ended at logout, and the person behind an API token.

The web calls these; it never queries the tables itself. Passwords are checked by the caller
(`web.auth`), which receives the stored hash from `login_account`.

The login limits, over the failures counted in `WINDOW`:

- `MAX_FAILURES` per (username, address): one person's typos lock only that person there;
- `MAX_FAILURES_PER_USER` per username from all addresses (against guessing from many
  addresses), not applied at an address the user logged in from within `KNOWN_ADDRESS`, so
  nobody elsewhere can lock a user out of their usual office;
- `MAX_FAILURES_PER_ADDRESS` per address over all usernames, a higher ceiling, so a whole office
  behind one NAT address keeps working while one address cannot try name after name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from workflow.adapters.models import ApiToken, LoginAttempt, Person
from workflow.domain.roles import Holding
from workflow.services.engine import WorkflowService
from workflow.services.org import end_sessions, holdings, unit_parents
from workflow.services.tokens import token_hash

MAX_FAILURES = 5
MAX_FAILURES_PER_USER = 20
MAX_FAILURES_PER_ADDRESS = 50
KNOWN_ADDRESS = timedelta(days=30)
WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Account:
    """A person who may log in: what a web session needs of them."""

    id: int
    username: str
    name: str
    is_admin: bool
    session_version: int


@dataclass(frozen=True)
class LoginAccount:
    """An active person with a password, and its stored hash (checked by the caller)."""

    account: Account
    password_hash: str


def _account(person: Person) -> Account:
    return Account(person.id, person.username, person.name, person.is_admin, person.session_version)


def active_account(service: WorkflowService, person_id: int) -> Account | None:
    """The person PERSON_ID when they exist, are active and have a password; else None."""
    with service.db.unit_of_work(readonly=True) as uow:
        person = uow.session.get(Person, person_id)
        if person is None or not person.active or not person.password_hash:
            return None
        return _account(person)


def login_account(service: WorkflowService, username: str) -> LoginAccount | None:
    """The active person USERNAME with a password, and its hash; else None."""
    with service.db.unit_of_work(readonly=True) as uow:
        person = uow.session.scalar(select(Person).where(Person.username == username))
        if person is None or not person.active or not person.password_hash:
            return None
        return LoginAccount(_account(person), person.password_hash)


def _lock_key(kind: str, value: str) -> int:
    """A signed 64-bit key for pg_advisory_xact_lock, the same in every process."""
    digest = hashlib.blake2b(f"sakip-login-{kind}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def admit_login(service: WorkflowService, username: str, address: str) -> int | None:
    """Decide and record a login attempt in one transaction, before the password is checked.

    None when a limit is reached (nothing is recorded: a refused attempt does not keep the lock
    going); otherwise this attempt is committed as a failure, and its id returned (the caller
    marks it ok with `login_succeeded`). The attempts of one username and those of one address
    decide one at a time, so each decision sees every attempt admitted before it: on PostgreSQL
    behind two transaction-scoped advisory locks (always the username's first, then the
    address's: no deadlock), on SQLite because a write transaction holds the database's write
    lock from its start (BEGIN IMMEDIATE). The counts run after the locks are taken, each
    statement seeing what was committed before it (READ COMMITTED).
    """
    now = service.clock()
    with service.db.unit_of_work() as uow:
        s = uow.session
        if service.db.dialect == "postgresql":
            s.execute(select(func.pg_advisory_xact_lock(_lock_key("user", username))))
            s.execute(select(func.pg_advisory_xact_lock(_lock_key("address", address))))

        def failures(*where: Any) -> int:
            recent = (LoginAttempt.ok.is_(False), LoginAttempt.at >= now - WINDOW)
            return int(s.scalar(select(func.count(LoginAttempt.id)).where(*recent, *where)) or 0)

        known_address = s.scalar(
            select(LoginAttempt.id)
            .where(
                LoginAttempt.ok.is_(True),
                LoginAttempt.username == username,
                LoginAttempt.address == address,
                LoginAttempt.at >= now - KNOWN_ADDRESS,
            )
            .limit(1)
        )
        if (
            failures(LoginAttempt.username == username, LoginAttempt.address == address) >= MAX_FAILURES
            or failures(LoginAttempt.address == address) >= MAX_FAILURES_PER_ADDRESS
            or (known_address is None and failures(LoginAttempt.username == username) >= MAX_FAILURES_PER_USER)
        ):
            return None
        attempt = LoginAttempt(username=username, address=address, at=now, ok=False)
        s.add(attempt)
        uow.commit()
        return attempt.id


def login_succeeded(service: WorkflowService, attempt_id: int) -> None:
    """Mark the admitted attempt ATTEMPT_ID as a success."""
    with service.db.unit_of_work() as uow:
        uow.session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(ok=True))
        uow.commit()


def log_out(service: WorkflowService, person_id: int) -> None:
    """End every web session of PERSON_ID (their session version is bumped)."""
    with service.db.unit_of_work() as uow:
        end_sessions(uow.session, [person_id])
        uow.commit()


def token_username(service: WorkflowService, token: str) -> str | None:
    """The username of the active person holding the live API token TOKEN; else None."""
    with service.db.unit_of_work(readonly=True) as uow:
        row = uow.session.execute(
            select(ApiToken, Person)
            .join(Person, Person.id == ApiToken.person_id)
            .where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None))
        ).first()
        if row is None:
            return None
        person: Person = row[1]
        return person.username if person.active else None


def positions_now(service: WorkflowService, person_id: int) -> tuple[list[Holding], dict[int, int | None]]:
    """What a signed-in person holds now (definitive holdings first), and every unit's parent (the
    chain a Kabupaten role reaches down): the web loads both once per request."""
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        return holdings(s, person_id, service.clock()), unit_parents(s)
