"""iCalendar (RFC 5545) deadline feeds: a person's own, and a unit's for its Tim SAKIP.

A feed holds the due times of open tasks and the deadlines of the unit's open cycles. UIDs are
stable (`task-{id}@alur-sakip`, `cycle-{cycle}-{unit}@alur-sakip`), so a regenerated feed
replaces events instead of duplicating them, and a finished task simply disappears. Times are
written in the unit's own zone, with its VTIMEZONE.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.adapters import repository
from workflow.adapters.models import CalendarToken, Cycle, Instance, Person, Task, Unit, unit_chain
from workflow.domain.rules import OPEN
from workflow.errors import NotAllowed
from workflow.services.engine import WorkflowService
from workflow.services.org import holdings
from workflow.sop.spec import FINISHED_STATE

UID_DOMAIN = "alur-sakip"
EVENT_LENGTH = timedelta(minutes=30)
PAST_CYCLES = timedelta(days=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str

    @property
    def path(self) -> str:
        return f"/calendar/{self.token}.ics"


def issue_token(service: WorkflowService, username: str, unit_code: str | None = None) -> IssuedToken:
    """A new secret for USERNAME's feed (or UNIT_CODE's, for its Tim SAKIP); the old one stops working."""
    now = service.clock()
    token = secrets.token_urlsafe(32)
    with service.db.unit_of_work() as uow:
        s = uow.session
        person, unit_id = _owner(s, username, unit_code, now)
        _revoke(s, person.id, unit_id, now)
        s.add(CalendarToken(token_hash=_hash(token), person_id=person.id, unit_id=unit_id, created_at=now))
        uow.commit()
    return IssuedToken(token)


def revoke_token(service: WorkflowService, username: str, unit_code: str | None = None) -> int:
    """Revoke USERNAME's active feed token (or the unit feed's); return how many were revoked."""
    now = service.clock()
    with service.db.unit_of_work() as uow:
        person, unit_id = _owner(uow.session, username, unit_code, now)
        count = _revoke(uow.session, person.id, unit_id, now)
        uow.commit()
        return count


def _owner(s: Session, username: str, unit_code: str | None, now: datetime) -> tuple[Person, int | None]:
    person = repository.person(s, username)
    if unit_code is None:
        return person, None
    unit = repository.unit(s, unit_code)
    tim = any(h.unit_id == unit.id and h.role == "tim_sakip" for h in holdings(s, person.id, now))
    if not (tim or person.is_admin):
        raise NotAllowed(
            f"user {username!r} is not in the Tim SAKIP of {unit_code}: no unit feed",
            code="ical.not_tim_sakip",
            user=username,
            unit=unit_code,
        )
    return person, unit.id


def _revoke(s: Session, person_id: int, unit_id: int | None, now: datetime) -> int:
    query = update(CalendarToken).where(CalendarToken.revoked_at.is_(None))
    if unit_id is None:
        query = query.where(CalendarToken.person_id == person_id, CalendarToken.unit_id.is_(None))
    else:
        query = query.where(CalendarToken.unit_id == unit_id)
    result = s.execute(query.values(revoked_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def feed(service: WorkflowService, token: str) -> bytes | None:
    """The feed a TOKEN opens, or None if it is unknown or revoked."""
    now = service.clock()
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        row = s.scalar(
            select(CalendarToken).where(CalendarToken.token_hash == _hash(token), CalendarToken.revoked_at.is_(None))
        )
        if row is None:
            return None
        person = s.get(Person, row.person_id)
        if person is None or not person.active:
            return None
        if row.unit_id is not None:
            unit = repository.row(s, Unit, row.unit_id)
            member = any(h.unit_id == unit.id and h.role == "tim_sakip" for h in holdings(s, person.id, now))
            if not (member or person.is_admin):
                return None  # left the Tim SAKIP: the unit's feed closes with it
            tasks = list(s.scalars(select(Task).where(Task.unit_id == unit.id, Task.status == OPEN)))
            units = [unit]
            name = f"Alur SAKIP — {unit.name}"
        else:
            visible = {v.id for v in service.tasks_for(person.username)}
            tasks = list(s.scalars(select(Task).where(Task.id.in_(visible)))) if visible else []
            unit_ids = {h.unit_id for h in holdings(s, person.id, now)}
            units = list(s.scalars(select(Unit).where(Unit.id.in_(unit_ids)))) if unit_ids else []
            name = f"Alur SAKIP — {person.name}"
        return _calendar(service, s, name, tasks, units, now)


def _calendar(
    service: WorkflowService, s: Session, name: str, tasks: list[Task], units: list[Unit], now: datetime
) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Alur SAKIP//sakip-alur//ID")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    zones = {u.id: u.timezone for u in s.scalars(select(Unit))}
    for task in sorted(tasks, key=lambda t: t.id):
        if task.due_at is None:
            continue
        instance = repository.row(s, Instance, task.instance_id)
        spec = service.registry.get(instance.sop_key, instance.sop_version)
        step = spec.step(task.step_id)
        event = Event()
        event.add("uid", f"task-{task.id}@{UID_DOMAIN}")
        event.add("dtstamp", now)
        event.add("last-modified", task.created_at)
        start = task.due_at.astimezone(ZoneInfo(zones[task.unit_id]))
        event.add("dtstart", start)
        event.add("dtend", start + EVENT_LENGTH)
        event.add("summary", f"Batas waktu: {step.no} {step.nama} ({instance.period})")
        event.add("description", f"{spec.nama} {instance.period}\n{step.kegiatan}\nOutput: {step.output or '-'}")
        cal.add_component(event)
    for unit in units:
        for cycle, finished in _open_cycles(s, unit, now):
            if finished:
                continue
            spec = service.registry.get(cycle.sop_key)
            event = Event()
            event.add("uid", f"cycle-{cycle.id}-{unit.id}@{UID_DOMAIN}")
            event.add("dtstamp", now)
            start = cycle.deadline_at.astimezone(ZoneInfo(unit.timezone))
            event.add("dtstart", start - EVENT_LENGTH)
            event.add("dtend", start)
            event.add("summary", f"Batas waktu {spec.nama} {cycle.period} ({unit.name})")
            cal.add_component(event)
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data


def _open_cycles(s: Session, unit: Unit, now: datetime) -> list[tuple[Cycle, bool]]:
    """The cycles of UNIT's Kabupaten (or of UNIT) still relevant now, and whether UNIT finished each."""
    ancestors = [u.id for u in unit_chain(s, unit)]
    cycles = s.scalars(
        select(Cycle).where(Cycle.kabupaten_id.in_(ancestors), Cycle.deadline_at >= now - PAST_CYCLES)
    ).all()
    result = []
    for cycle in cycles:
        state = s.scalar(
            select(Instance.state).where(
                Instance.unit_id == unit.id, Instance.sop_key == cycle.sop_key, Instance.period == cycle.period
            )
        )
        result.append((cycle, state == FINISHED_STATE))
    return sorted(result, key=lambda pair: pair[0].deadline_at)
