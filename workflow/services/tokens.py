"""Web passwords and API tokens: only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from workflow.adapters import repository
from workflow.adapters.models import ApiToken, Person
from workflow.errors import NotFound
from workflow.services.engine import WorkflowService
from workflow.services.org import end_sessions


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(service: WorkflowService, username: str) -> str:
    """Issue a new API token for USERNAME and return it (it is shown once)."""
    token = "sakip_" + secrets.token_urlsafe(32)
    with service.db.unit_of_work() as uow:
        person = repository.person(uow.session, username)
        uow.session.add(ApiToken(token_hash=token_hash(token), person_id=person.id, created_at=service.clock()))
        uow.commit()
    return token


def revoke_tokens(service: WorkflowService, username: str) -> int:
    """Revoke every API token of USERNAME; return how many were live."""
    with service.db.unit_of_work() as uow:
        person = repository.person(uow.session, username)
        live = list(
            uow.session.scalars(select(ApiToken).where(ApiToken.person_id == person.id, ApiToken.revoked_at.is_(None)))
        )
        for token in live:
            token.revoked_at = service.clock()
        uow.commit()
        return len(live)


def set_password(service: WorkflowService, username: str, password: str) -> None:
    """Set USERNAME's password; every web session they have ends."""
    with service.db.unit_of_work() as uow:
        person = repository.person(uow.session, username)
        person.password_hash = generate_password_hash(password)
        end_sessions(uow.session, [person.id])
        uow.commit()


def deactivate(service: WorkflowService, username: str) -> None:
    """Deactivate USERNAME: they can no longer log in, and every web session they have ends.

    The person stays in the database (they may have signed evidence); their API tokens are
    refused while they are inactive.
    """
    with service.db.unit_of_work() as uow:
        person = repository.person(uow.session, username)
        person.active = False
        end_sessions(uow.session, [person.id])
        uow.commit()


def activate(service: WorkflowService, username: str) -> None:
    """Let a deactivated USERNAME log in again (with their password; old sessions stay ended)."""
    with service.db.unit_of_work() as uow:
        person = uow.session.scalar(select(Person).where(Person.username == username))
        if person is None:
            raise NotFound(f"unknown user {username!r}", code="user.unknown", user=username)
        person.active = True
        uow.commit()


def set_all_passwords(service: WorkflowService, password: str) -> list[str]:
    """Give every active person the same password (the demo); return their usernames."""
    hashed = generate_password_hash(password)
    with service.db.unit_of_work() as uow:
        people = list(uow.session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.username)))
        for person in people:
            person.password_hash = hashed
        end_sessions(uow.session, [p.id for p in people])
        uow.commit()
        return [p.username for p in people]
