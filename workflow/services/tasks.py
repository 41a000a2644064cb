"""The task read models: a user's open tasks, one task's view, an instance's history and status, and
who could take a task. Reads only: each opens a read-only unit of work and writes nothing.

`WorkflowService` (services/engine.py) inherits these reads beside its writes, so callers keep
one object; the writes never call into this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from workflow.adapters import repository
from workflow.adapters.db import Database
from workflow.adapters.models import AuditEvent, Instance, Person, RoleAssignment, Task, Unit
from workflow.adapters.repository import holders, holdings
from workflow.domain.localtime import iso, local_date
from workflow.domain.roles import Holder, position_key
from workflow.domain.rules import OPEN, may_take
from workflow.errors import NotFound
from workflow.sop.machine import MachineCache, SopMachine
from workflow.sop.spec import SopRegistry, SopSpec


@dataclass(frozen=True)
class TaskView:
    id: int
    instance_id: int
    sop_key: str
    sop_version: int
    unit: str
    period: str
    step_id: str
    step_no: str
    step_name: str
    kegiatan: str
    role: str
    seksi: str | None
    assignee: str | None
    actions: tuple[str, ...]
    due_at: datetime | None
    round: int
    return_note: str | None
    status: str = OPEN
    outcome: str | None = None
    finished_at: datetime | None = None
    timezone: str = "Asia/Jakarta"  # the unit's, for showing times (not part of the JSON contract)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instance_id": self.instance_id,
            "sop_key": self.sop_key,
            "sop_version": self.sop_version,
            "unit": self.unit,
            "period": self.period,
            "step_id": self.step_id,
            "step_no": self.step_no,
            "step_name": self.step_name,
            "kegiatan": self.kegiatan,
            "role": self.role,
            "seksi": self.seksi,
            "assignee": self.assignee,
            "actions": list(self.actions),
            "due_at": iso(self.due_at),
            "round": self.round,
            "return_note": self.return_note,
        }


@dataclass(frozen=True)
class EventView:
    id: int
    at: datetime
    actor: str
    role: str | None
    acting_for: str | None
    action: str
    step_id: str | None
    task_id: int | None
    note: str | None
    from_state: str | None
    to_state: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso(self.at),
            "actor": self.actor,
            "role": self.role,
            "acting_for": self.acting_for,
            "action": self.action,
            "step_id": self.step_id,
            "task_id": self.task_id,
            "note": self.note,
            "from_state": self.from_state,
            "to_state": self.to_state,
        }


@dataclass(frozen=True)
class WaitingOn:
    task_id: int
    step_id: str
    role: str
    seksi: str | None
    assignee: str | None
    due_at: datetime | None


@dataclass(frozen=True)
class InstanceStatus:
    id: int
    sop_key: str
    sop_version: int
    unit: str
    period: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    waiting_on: tuple[WaitingOn, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "instance_id": self.id,
            "sop_key": self.sop_key,
            "sop_version": self.sop_version,
            "unit": self.unit,
            "period": self.period,
            "state": self.state,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "waiting_on": [
                {
                    "task_id": w.task_id,
                    "step_id": w.step_id,
                    "role": w.role,
                    "seksi": w.seksi,
                    "assignee": w.assignee,
                    "due_at": iso(w.due_at),
                }
                for w in self.waiting_on
            ],
        }


class TaskQueries:
    """The read side of the engine over one database and one set of SOP definitions."""

    db: Database
    registry: SopRegistry
    clock: Callable[[], datetime]
    machines: MachineCache

    def _spec(self, key: str, version: int | None = None) -> SopSpec:
        try:
            return self.registry.get(key, version)
        except KeyError:
            which = key if version is None else f"{key} version {version}"
            raise NotFound(f"unknown SOP {which!r}", code="sop.unknown", sop=which) from None

    def _machine(self, spec: SopSpec) -> SopMachine:
        return self.machines.get(spec)

    def stuck_tasks(self, instance_id: int) -> dict[int, tuple[str, list[str]]]:
        """Open tasks of INSTANCE_ID given to one person who can no longer act on them, each with
        that person and who could take the task over (holders of its role in the unit)."""
        now = self.clock()
        found: dict[int, tuple[str, list[str]]] = {}
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            rows = s.execute(
                select(Task, Person.username)
                .join(Person, Person.id == Task.assignee_id)
                .where(Task.instance_id == instance_id, Task.status == OPEN, Task.seksi.is_(None))
            ).all()
            by_role: dict[tuple[int, str], list[Holder]] = {}
            for task, username in rows:
                key = (task.unit_id, task.role)
                if key not in by_role:
                    by_role[key] = holders(s, task.unit_id, task.role, now)
                if not any(h.person_id == task.assignee_id for h in by_role[key]):
                    found[task.id] = (username, [h.username for h in by_role[key]])
        return found

    def tasks_for(self, username: str) -> list[TaskView]:
        """The open tasks USERNAME can act on now, soonest due first."""
        now = self.clock()
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            person = repository.person(s, username)
            mine = holdings(s, person.id, now)
            if not mine:
                return []
            # The SQL form of may_take() for each role held.
            unassigned = and_(Task.seksi.is_(None), or_(Task.assignee_id.is_(None), Task.assignee_id == person.id))
            clauses = [
                and_(
                    Task.unit_id == h.unit_id,
                    Task.role == h.role,
                    or_(Task.seksi == h.seksi, unassigned) if h.seksi is not None else unassigned,
                )
                for h in mine
            ]
            rows = s.execute(
                select(Task, Instance, Unit.code, Person.username)
                .join(Instance, Instance.id == Task.instance_id)
                .join(Unit, Unit.id == Task.unit_id)
                .outerjoin(Person, Person.id == Task.assignee_id)
                .where(Task.status == OPEN, or_(*clauses))
                .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
            ).all()
            return [self.task_view(task, instance, unit_code, assignee) for task, instance, unit_code, assignee in rows]

    def task_view(
        self, task: Task, instance: Instance, unit_code: str, assignee: str | None, timezone: str = "Asia/Jakarta"
    ) -> TaskView:
        """The view of one task row (its possible actions are none once it is done)."""
        spec = self._spec(instance.sop_key, instance.sop_version)
        step = spec.step(task.step_id)
        possible = self._machine(spec).triggers_from(instance.state) if task.status == OPEN else []
        return TaskView(
            id=task.id,
            instance_id=instance.id,
            sop_key=instance.sop_key,
            sop_version=instance.sop_version,
            unit=unit_code,
            period=instance.period,
            step_id=step.id,
            step_no=step.no,
            step_name=step.nama,
            kegiatan=step.kegiatan,
            role=position_key(task.role, task.seksi),
            seksi=task.seksi,
            assignee=assignee,
            actions=tuple(a for a in step.actions if a in possible),
            due_at=task.due_at,
            round=task.round,
            return_note=task.return_note,
            status=task.status,
            outcome=task.outcome,
            finished_at=task.finished_at,
            timezone=timezone,
        )

    def history(self, instance_id: int) -> list[EventView]:
        """The audit events of INSTANCE_ID, oldest first."""
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            repository.instance(s, instance_id)
            events = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id))
            return [
                EventView(
                    id=e.id,
                    at=e.at,
                    actor=e.actor,
                    role=e.role,
                    acting_for=e.acting_for,
                    action=e.action,
                    step_id=e.step_id,
                    task_id=e.task_id,
                    note=e.note,
                    from_state=e.from_state,
                    to_state=e.to_state,
                )
                for e in events
            ]

    def status(self, instance_id: int) -> InstanceStatus:
        """Where INSTANCE_ID stands, and who it is waiting on (who has not finished)."""
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            instance = repository.instance(s, instance_id)
            unit = repository.unit_by_id(s, instance.unit_id)
            rows = s.execute(
                select(Task, Person.username)
                .outerjoin(Person, Person.id == Task.assignee_id)
                .where(Task.instance_id == instance_id, Task.status == OPEN)
                .order_by(Task.seksi, Person.username, Task.id)
            ).all()
            waiting = tuple(
                WaitingOn(t.id, t.step_id, position_key(t.role, t.seksi), t.seksi, who, t.due_at) for t, who in rows
            )
            return InstanceStatus(
                id=instance.id,
                sop_key=instance.sop_key,
                sop_version=instance.sop_version,
                unit=unit.code,
                period=instance.period,
                state=instance.state,
                started_at=instance.started_at,
                finished_at=instance.finished_at,
                waiting_on=waiting,
            )

    def candidates(self, task_id: int) -> list[str]:
        """The usernames who may act on TASK_ID now (definitive holders before Plt.)."""
        now = self.clock()
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            task = repository.task(s, task_id)
            return [
                h.username
                for h in holders(s, task.unit_id, task.role, now)
                if may_take(task, task.role, h.seksi, h.person_id)
            ]

    def find_instance(self, sop_key: str, unit_code: str, period: str) -> int | None:
        """The id of SOP_KEY's instance for UNIT_CODE and PERIOD, if it was started."""
        with self.db.unit_of_work(readonly=True) as uow:
            unit = repository.unit(uow.session, unit_code)
            return uow.session.scalar(
                select(Instance.id).where(
                    Instance.unit_id == unit.id, Instance.sop_key == sop_key, Instance.period == period
                )
            )

    def candidates_for_role(self, unit_code: str, role: str) -> list[str]:
        """The usernames holding ROLE in UNIT_CODE now."""
        with self.db.unit_of_work(readonly=True) as uow:
            unit = repository.unit(uow.session, unit_code)
            return [h.username for h in holders(uow.session, unit.id, role, self.clock())]

    def usernames_in_unit(self, unit_code: str) -> list[str]:
        """Everyone holding any role in UNIT_CODE now, by username."""
        with self.db.unit_of_work(readonly=True) as uow:
            unit = repository.unit(uow.session, unit_code)
            rows = uow.session.execute(
                select(Person.username, RoleAssignment)
                .join(RoleAssignment, RoleAssignment.person_id == Person.id)
                .where(RoleAssignment.unit_id == unit.id)
                .order_by(Person.username)
            ).all()
            today = local_date(self.clock(), unit.timezone)
            return sorted({name for name, a in rows if a.valid_on(today)})
