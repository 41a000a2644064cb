"""The administration page's use cases: what it lists, and loading a parsed organisation or
schedule file, each in one transaction."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from workflow.adapters.models import Cycle, Instance, Person, RoleAssignment, Unit
from workflow.services.engine import WorkflowService
from workflow.services.org import LoadSummary, OrgFile, load_org
from workflow.services.schedule import ScheduleFile, ScheduleLoadSummary, load_schedule


@dataclass(frozen=True)
class AdminOverview:
    """The units, the people, every role assignment (with the person's username and the unit's
    code), the running instances per SOP version, and the latest cycles."""

    units: list[Unit]
    people: list[Person]
    assignments: list[Any]
    running: Counter[tuple[str, int]]
    cycles: list[Cycle]


def admin_overview(service: WorkflowService) -> AdminOverview:
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        units = list(s.scalars(select(Unit).order_by(Unit.kind, Unit.name)))
        people = list(s.scalars(select(Person).order_by(Person.username)))
        assignments = list(
            s.execute(
                select(RoleAssignment, Person.username, Unit.code)
                .join(Person, Person.id == RoleAssignment.person_id)
                .join(Unit, Unit.id == RoleAssignment.unit_id)
                .order_by(Unit.code, RoleAssignment.role, Person.username)
            ).all()
        )
        running = Counter(
            (k, v) for k, v, done in s.execute(select(Instance.sop_key, Instance.sop_version, Instance.finished_at))
            if done is None
        )  # fmt: skip
        cycles = list(s.scalars(select(Cycle).order_by(Cycle.deadline_at.desc()).limit(24)))
    return AdminOverview(units, people, assignments, running, cycles)


def load_org_file(service: WorkflowService, org: OrgFile) -> LoadSummary:
    """Load a parsed organisation file in one transaction."""
    with service.db.unit_of_work() as uow:
        summary = load_org(uow.session, org)
        uow.commit()
    return summary


def load_schedule_file(service: WorkflowService, schedule: ScheduleFile) -> ScheduleLoadSummary:
    """Load a parsed schedule file in one transaction (its cycles are planned at the service's clock)."""
    with service.db.unit_of_work() as uow:
        summary = load_schedule(uow.session, schedule, service.calendars, service.clock())
        uow.commit()
    return summary
