"""Each user's task boxes, paginated in SQL: inbox, queue and archive; and their notifications.

- **inbox**: open tasks given to me: a fan-out task assigned to me, or the task of a seksi
  position I hold;
- **queue**: open tasks of a role I hold that any holder may take;
- **archive**: tasks I finished, newest first.

A Plt. holding counts only when the user has switched to act in it (`acting=True`), so a
Sekretaris Camat who is also Plt. Camat sees the Camat's work only while acting as Camat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from workflow.adapters import repository
from workflow.adapters.models import Instance, Notification, Person, Task, Unit
from workflow.domain.roles import position_key
from workflow.domain.rules import DONE, OPEN
from workflow.services.engine import TaskView, WorkflowService
from workflow.services.org import Holding, holdings

BOXES = ("inbox", "queue", "archive")


@dataclass(frozen=True)
class TaskPage:
    box: str
    items: list[TaskView]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _held(s: Session, person_id: int, now: datetime, acting: bool) -> list[Holding]:
    return [h for h in holdings(s, person_id, now) if acting or not h.acting]


def _box_clause(box: str, person_id: int, held: list[Holding]) -> ColumnElement[bool]:
    if box == "archive":
        return and_(Task.status == DONE, Task.finished_by_id == person_id)
    clauses = []
    for h in held:
        mine = Task.unit_id == h.unit_id
        if box == "inbox":
            if h.seksi is not None:
                clauses.append(and_(mine, Task.role == h.role, Task.seksi == h.seksi))
            clauses.append(and_(mine, Task.role == h.role, Task.seksi.is_(None), Task.assignee_id == person_id))
        else:
            clauses.append(and_(mine, Task.role == h.role, Task.seksi.is_(None), Task.assignee_id.is_(None)))
    return and_(Task.status == OPEN, or_(*clauses)) if clauses else false()


def task_page(
    service: WorkflowService, username: str, box: str, page: int = 1, per_page: int = 20, acting: bool = False
) -> TaskPage:
    """One page of USERNAME's BOX, soonest due first (archive: latest finished first), with all counts."""
    if box not in BOXES:
        raise ValueError(f"box: {box!r} is not one of {', '.join(BOXES)}")
    page = max(1, page)
    per_page = min(max(1, per_page), 100)
    now = service.clock()
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        person = repository.person(s, username)
        held = _held(s, person.id, now, acting)
        counts = {
            b: int(s.scalar(select(func.count(Task.id)).where(_box_clause(b, person.id, held))) or 0) for b in BOXES
        }
        order: list[Any] = (
            [Task.finished_at.desc(), Task.id.desc()]
            if box == "archive"
            else [Task.due_at.is_(None), Task.due_at, Task.id]
        )
        rows = s.execute(
            select(Task, Instance, Unit.code, Person.username, Unit.timezone)
            .join(Instance, Instance.id == Task.instance_id)
            .join(Unit, Unit.id == Task.unit_id)
            .outerjoin(Person, Person.id == Task.assignee_id)
            .where(_box_clause(box, person.id, held))
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        items = [service.task_view(task, instance, code, assignee, tz) for task, instance, code, assignee, tz in rows]
        return TaskPage(box, items, counts[box], page, per_page, counts)


@dataclass(frozen=True)
class NotificationView:
    id: int
    created_at: datetime
    kind: str
    subject: str
    body: str
    read: bool


def notifications(service: WorkflowService, username: str, limit: int = 10) -> tuple[list[NotificationView], int]:
    """USERNAME's latest notifications and how many are unread."""
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        person = repository.person(s, username)
        unread = s.scalar(
            select(func.count(Notification.id)).where(
                Notification.person_id == person.id, Notification.read_at.is_(None)
            )
        )
        rows = s.scalars(
            select(Notification)
            .where(Notification.person_id == person.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
        return [
            NotificationView(n.id, n.created_at, n.kind, n.subject, n.body, n.read_at is not None) for n in rows
        ], int(unread or 0)


def mark_notifications_read(service: WorkflowService, username: str) -> int:
    with service.db.unit_of_work() as uow:
        s = uow.session
        person = repository.person(s, username)
        rows = s.scalars(
            select(Notification).where(Notification.person_id == person.id, Notification.read_at.is_(None))
        ).all()
        for n in rows:
            n.read_at = service.clock()
        uow.commit()
        return len(rows)


def positions(service: WorkflowService, username: str) -> list[dict[str, Any]]:
    """Every position USERNAME holds now, with its unit, and whether as Plt."""
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        person = repository.person(s, username)
        out = []
        for h in holdings(s, person.id, service.clock()):
            unit = repository.row(s, Unit, h.unit_id)
            out.append(
                {"unit": unit.code, "unit_name": unit.name, "unit_kind": unit.kind, "role": h.role, "seksi": h.seksi,
                 "position": position_key(h.role, h.seksi), "acting": h.acting}
            )  # fmt: skip
        return out
