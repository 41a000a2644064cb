"""An ASN leaves the unit (mutasi) while their data-entry task is open: nobody could take the task
and the fan-out could never join. The Camat, the Sekcam or an administrator gives it to someone who
holds the role, in one transaction with its audit event; `sakip check` stays clean."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from test_actions import S4, _advance_to

from workflow.check import check
from workflow.errors import Conflict, InvalidInput, NotAllowed
from workflow.models import AuditEvent, Notification, Person, RoleAssignment, Task
from workflow.service import WorkflowService


def _leaves(service: WorkflowService, username: str, role: str, last_day: date) -> None:
    """USERNAME's ROLE ends on LAST_DAY (the org file would say valid_to)."""
    with service.db.unit_of_work() as uow:
        s = uow.session
        person_id = s.scalar(select(Person.id).where(Person.username == username))
        for assignment in s.scalars(
            select(RoleAssignment).where(RoleAssignment.person_id == person_id, RoleAssignment.role == role)
        ):
            assignment.valid_to = last_day
        uow.commit()


def _events(service: WorkflowService) -> int:
    with service.db.unit_of_work(readonly=True) as uow:
        return uow.session.scalar(select(func.count(AuditEvent.id))) or 0


def test_a_departed_asns_task_is_reassigned_and_the_cycle_goes_on(service: WorkflowService) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    _advance_to(service, instance_id, "pengukuran_asn")
    waiting = {w.assignee: w.task_id for w in service.status(instance_id).waiting_on}
    task_id = waiting["tim.sakip2"]
    _leaves(service, "tim.sakip2", "asn", date(2024, 3, 31))  # moved away before the cycle's 1 April
    assert service.candidates(task_id) == []  # stuck: nobody may act on it
    before = _events(service)

    # Refused, and nothing written: not a leader, no reason, someone without the role, a Kasi's own.
    with pytest.raises(NotAllowed):
        service.reassign(task_id, "kasubag", "kasi.pelayanan", "mutasi")
    with pytest.raises(InvalidInput, match="note"):
        service.reassign(task_id, "kasubag", "sekcam", "  ")
    with pytest.raises(InvalidInput, match="'staf' does not hold 'asn'"):
        service.reassign(task_id, "staf", "sekcam", "mutasi")
    with pytest.raises(InvalidInput, match="already given to 'kasi.pelayanan'"):
        service.reassign(waiting["kasi.pelayanan"], "kasi.pelayanan", "sekcam", "mutasi")
    assert _events(service) == before

    result = service.reassign(task_id, "kasubag", "sekcam", "Mutasi ke Kecamatan Dlanggu per 1 April 2024")
    assert (result.from_username, result.to_username) == ("tim.sakip2", "kasubag")
    assert service.candidates(task_id) == ["kasubag"]
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (event.action, event.actor, event.role, event.task_id) == ("reassign", "sekcam", "sekcam", task_id)
        assert event.from_state == event.to_state == "pengukuran_asn"
        assert "dari tim.sakip2 kepada kasubag" in (event.note or "") and "Dlanggu" in (event.note or "")
        kasubag = s.scalar(select(Person.id).where(Person.username == "kasubag"))
        notes = list(s.scalars(select(Notification).where(Notification.person_id == kasubag)))
        assert any("dialihkan" in n.subject for n in notes)
    assert _events(service) == before + 1

    service.act(task_id, "done", "kasubag")
    with pytest.raises(Conflict, match="already done"):  # nothing left to reassign
        service.reassign(task_id, "tim.sakip1", "sekcam", "lagi")
    _advance_to(service, instance_id, "evaluasi")  # the fan-out joins
    with service.db.unit_of_work(readonly=True) as uow:
        report = check(uow.session, service.registry)
        assert report.ok, report.violations
        done = uow.session.get(Task, task_id)
        assert done is not None and done.outcome == "done"


def test_a_task_of_a_position_is_not_reassigned_and_an_admin_may_reassign(service: WorkflowService) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    first = service.status(instance_id).waiting_on[0].task_id  # the Camat's Nota Dinas: any Camat takes it
    with pytest.raises(InvalidInput, match="not to one person"):
        service.reassign(first, "sekcam", "sekcam", "cuti")
    _advance_to(service, instance_id, "pengukuran_asn")
    task_id = next(w.task_id for w in service.status(instance_id).waiting_on if w.assignee == "tim.sakip1")
    result = service.reassign(task_id, "tim.sakip2", "admin", "Cuti besar")
    assert result.to_username == "tim.sakip2"
    with service.db.unit_of_work(readonly=True) as uow:
        event = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (event.actor, event.role) == ("admin", "admin")
