"""The reads every service borrows, in one place: a person, a unit, a task with its instance, and
who holds which role when.

Each function takes the caller's session (it never commits) and raises NotFound, with its code,
for what is not there, instead of each caller writing its own query, raise or `assert`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.adapters.models import Instance, Person, RoleAssignment, Task, Unit
from workflow.domain.localtime import local_date
from workflow.domain.roles import ROLES_WITH_SEKSI, Holder, Holding
from workflow.errors import NotFound

T = TypeVar("T")


def person(session: Session, username: str) -> Person:
    """The active person USERNAME, or NotFound."""
    found = session.scalar(select(Person).where(Person.username == username))
    if found is None or not found.active:
        raise NotFound(f"unknown user {username!r}", code="user.unknown", user=username)
    return found


def unit(session: Session, code: str) -> Unit:
    """The unit CODE, or NotFound."""
    found = session.scalar(select(Unit).where(Unit.code == code))
    if found is None:
        raise NotFound(f"unknown unit {code!r}", code="unit.unknown", unit=code)
    return found


def unit_by_id(session: Session, unit_id: int) -> Unit:
    """The unit with id UNIT_ID (a row's foreign key: its absence is a broken database), or NotFound."""
    found = session.get(Unit, unit_id)
    if found is None:
        raise NotFound(f"unknown unit {unit_id}", code="unit.unknown", unit=unit_id)
    return found


def instance(session: Session, instance_id: int, *, lock: bool = False) -> Instance:
    """The instance INSTANCE_ID (locked for the transaction with LOCK), or NotFound."""
    query = select(Instance).where(Instance.id == instance_id)
    if lock:
        query = query.with_for_update()
    found = session.scalars(query).one_or_none()
    if found is None:
        raise NotFound(f"unknown instance {instance_id}", code="instance.unknown", instance=instance_id)
    return found


def task(session: Session, task_id: int) -> Task:
    """The task TASK_ID, or NotFound."""
    found = session.get(Task, task_id)
    if found is None:
        raise NotFound(f"unknown task {task_id}", code="task.unknown", task=task_id)
    return found


def task_with_instance(session: Session, task_id: int) -> tuple[Instance, Task]:
    """TASK_ID and its instance, read fresh with the instance locked, or NotFound.

    Actions on one instance run one after the other, so a fan-out join or a double click is
    decided on fresh rows (a no-op lock on SQLite, where the write transaction already holds the
    database lock)."""
    # Two statements: lock the instance found through the task (a task never changes instance),
    # then read the task as it is once the lock is held.
    locked = session.scalars(
        select(Instance)
        .where(Instance.id == select(Task.instance_id).where(Task.id == task_id).scalar_subquery())
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if locked is None:
        raise NotFound(f"unknown task {task_id}", code="task.unknown", task=task_id)
    fresh = session.scalars(select(Task).where(Task.id == task_id).execution_options(populate_existing=True)).one()
    return locked, fresh


def holdings(session: Session, person_id: int, now: datetime) -> list[Holding]:
    """Every role PERSON_ID holds at NOW, definitive holdings before Plt. ones."""
    rows = session.execute(
        select(RoleAssignment, Unit.timezone)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.person_id == person_id)
    ).all()
    found = [Holding(r.unit_id, r.role, r.seksi, r.acting) for r, tz in rows if r.valid_on(local_date(now, tz))]
    return sorted(found, key=lambda h: h.acting)


def holders(session: Session, unit_id: int, role: str, now: datetime) -> list[Holder]:
    """Everyone who holds ROLE in UNIT_ID at NOW."""
    found = session.get(Unit, unit_id)
    if found is None:
        return []
    on = local_date(now, found.timezone)
    rows = session.execute(
        select(RoleAssignment, Person)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.unit_id == unit_id, RoleAssignment.role == role, Person.active.is_(True))
        .order_by(RoleAssignment.seksi, RoleAssignment.acting, Person.username)
    ).all()
    return [Holder(p.id, p.username, a.seksi, a.acting) for a, p in rows if a.valid_on(on)]


def holders_of(
    session: Session, pairs: Iterable[tuple[int, str]], now: datetime
) -> dict[tuple[int, str], list[Holder]]:
    """`holders` for many (unit id, role) pairs at once, in two queries: for a pass over a province."""
    result: dict[tuple[int, str], list[Holder]] = {pair: [] for pair in pairs}
    unit_ids = sorted({unit_id for unit_id, _ in result})
    roles = sorted({role for _, role in result})
    days: dict[int, date] = {}
    rows: list[Any] = []
    for start in range(0, len(unit_ids), 1000):
        chunk = unit_ids[start : start + 1000]
        for found in session.scalars(select(Unit).where(Unit.id.in_(chunk))):
            days[found.id] = local_date(now, found.timezone)
        rows.extend(
            session.execute(  # plain columns, not entities: a province has hundreds of thousands
                select(
                    RoleAssignment.unit_id, RoleAssignment.role, RoleAssignment.seksi, RoleAssignment.acting,
                    RoleAssignment.valid_from, RoleAssignment.valid_to, Person.id, Person.username,
                )
                .join(Person, Person.id == RoleAssignment.person_id)
                .where(RoleAssignment.unit_id.in_(chunk), RoleAssignment.role.in_(roles), Person.active.is_(True))
                .order_by(RoleAssignment.seksi, RoleAssignment.acting, Person.username)
            ).all()
        )  # fmt: skip
    for unit_id, role, seksi, acting, valid_from, valid_to, person_id, username in rows:
        bucket = result.get((unit_id, role))
        day = days.get(unit_id)
        if bucket is None or day is None:
            continue
        # as RoleAssignment.valid_on
        if (valid_from is None or valid_from <= day) and (valid_to is None or day <= valid_to):
            bucket.append(Holder(person_id, username, seksi, acting))
    return result


def fanout_positions(session: Session, unit_id: int, role: str, now: datetime) -> list[tuple[str | None, Holder]]:
    """One (seksi, holder) per position a fan-out step opens a task for.

    A role held per seksi (Kasi) gets one task per seksi, given to its definitive holder, or to
    its Plt. where the seksi has none. Any other role (ASN) gets one task per person.
    """
    result: list[tuple[str | None, Holder]] = []
    seen: set[Any] = set()
    for holder in holders(session, unit_id, role, now):
        key: Any = holder.seksi if role in ROLES_WITH_SEKSI else holder.person_id
        if key in seen:
            continue
        seen.add(key)
        result.append((holder.seksi, holder))
    return result


def row(session: Session, model: type[T], key: Any) -> T:
    """The row of MODEL with primary key KEY, which a foreign key promises: NotFound if the database
    lost it (instead of an `assert` that `python -O` would drop)."""
    found = session.get(model, key)
    if found is None:
        name = getattr(model, "__tablename__", model.__name__)
        raise NotFound(f"unknown {name} {key}", code="row.missing", table=name, key=key)
    return found
